"""The essay page stays light: HTML and CSS within 60 KB, no render-blocking script, and
images as responsive renditions made at upload (never on a request)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 60 * 1024
PARAGRAPH = (
    "<p>Co-operative and mutual enterprises can help overcome the environmental, social and "
    "economic problems that neither the private market nor the state have been able to "
    "answer on their own, and they give employees and users a real stake in the services "
    "they rely on every day, from housing to health care and local energy.</p>"
)


@pytest.fixture
def long_essay():
    """An essay as long as the longest we publish (~3,500 words), with everything a page
    can show: a hero image, three authors with portraits, a series, topics, an inline figure."""
    series = SeriesFactory(title="Mutualism")
    authors = [AuthorFactory() for _ in range(3)]
    for author in authors:
        author.portrait = image_upload("portrait.jpg", (900, 1200))
        author.portrait_alt = f"Portrait of {author.name}"
        author.save()
    for position in range(1, 7):
        EssayFactory(series=series, series_position=position, authors=authors[:1])
    body = PARAGRAPH * 60 + (
        f'<figure><img src="{settings.MEDIA_URL}inline/chart.png" alt="A chart">'
        "<figcaption>Membership over time</figcaption></figure>"
    )
    essay = EssayFactory(
        title="The new wave of mutuality",
        series=series,
        series_position=7,
        body=body + PARAGRAPH * 10,
        authors=authors,
        topics=["Mutualism", "Co-operatives", "Public services", "Economy"],
    )
    essay.hero_image = image_upload("hero.jpg", (2400, 1200))
    essay.hero_alt = "Members voting at a co-operative AGM"
    essay.save()
    assert essay.word_count > 3000
    return essay


def stylesheets(page):
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)


def static_size(url):
    name = url.removeprefix(settings.STATIC_URL)
    for directory in settings.STATICFILES_DIRS:
        if (path := Path(directory) / name).exists():
            return path.stat().st_size
    raise AssertionError(f"no static file for {url}")


def test_essay_page_html_and_css_fit_in_60_kb(client, long_essay):
    page = client.get(long_essay.get_absolute_url()).content
    css = sum(static_size(url) for url in stylesheets(page.decode()))

    assert stylesheets(page.decode()), "the page links its stylesheet"
    assert len(page) + css <= BUDGET_BYTES, f"{len(page)} B of HTML + {css} B of CSS"


def test_essay_page_has_no_render_blocking_script(client, long_essay):
    page = client.get(long_essay.get_absolute_url()).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)

    # Structured data is not executed; any script that runs must not block rendering.
    for tag in scripts:
        assert 'type="application/ld+json"' in tag or re.search(r"\b(defer|async)\b", tag), tag
    head = page.split("</head>")[0]
    assert not re.search(
        r"<script\b(?![^>]*application/ld\+json)(?![^>]*\b(?:defer|async)\b)", head
    )


def test_essay_page_images_are_responsive_webp_renditions_with_their_size(client, long_essay):
    page = client.get(long_essay.get_absolute_url()).content.decode()
    images = re.findall(r"<img\b[^>]*>", page)
    uploaded = [tag for tag in images if "srcset=" in tag]

    assert uploaded, "the hero is shown from its renditions"
    for tag in uploaded:
        assert re.search(r'\bwidth="\d+"', tag), tag
        assert re.search(r'\bheight="\d+"', tag), tag
        candidates = re.search(r'srcset="([^"]+)"', tag).group(1).split(", ")
        for candidate in candidates:
            url, descriptor = candidate.split(" ")
            assert url.endswith(".webp"), candidate
            assert re.fullmatch(r"\d+w", descriptor), candidate
            assert default_storage.exists(url.removeprefix(settings.MEDIA_URL)), url
    [hero] = [tag for tag in uploaded if "Members voting" in tag]
    assert 'loading="lazy"' not in hero, "the hero is above the fold: load it at once"


def test_images_below_the_fold_load_lazily(client, long_essay):
    page = client.get(long_essay.get_absolute_url()).content.decode()
    body_images = re.findall(r"<img\b[^>]*>", page.split('alt="Members voting')[1])

    assert body_images, "the inline figure is on the page"
    for tag in body_images:
        assert 'loading="lazy"' in tag, tag


def test_renditions_are_made_at_upload_not_on_a_request(client, long_essay):
    stored_before = (
        sorted(default_storage.listdir("renditions")[1])
        if default_storage.exists("renditions")
        else None
    )
    client.get(long_essay.get_absolute_url())
    client.get(long_essay.byline_authors[0].get_absolute_url())

    assert stored_before is not None, "renditions were written when the images were saved"
    assert sorted(default_storage.listdir("renditions")[1]) == stored_before
