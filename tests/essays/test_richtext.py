"""Rich text is sanitised when saved, however it is saved, and again when shown."""

import re

import pytest

from essays.models import Author, Essay
from series.models import Series
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<p onclick="steal()" style="color:red">Hello <script>alert(1)</script>world</p>'
    '<img src="x.png" alt="x" onerror="alert(2)">'
    '<a href="javascript:alert(3)">click</a>'
    '<iframe src="https://evil.example/"></iframe>'
    "<style>body{display:none}</style>"
    '<div class="layout"><span style="font-size:90px">loud</span></div>'
)
FORBIDDEN = ("<script", "alert(1)", "onclick", "onerror", "javascript:", "style=", "<style",
             "<iframe", "evil.example", "<div", "<span")  # fmt: skip

ALLOWED = (
    "<h2>Heading two</h2><h3>Heading three</h3><h4>Heading four</h4>"
    "<p>Some <em>emphasis</em> and <strong>strength</strong>.</p>"
    "<ul><li>bullet</li></ul><ol><li>number</li></ol>"
    "<blockquote><p>A quotation.</p></blockquote>"
    '<figure><img src="/media/uploads/chart.png" alt="A chart"><figcaption>Chart'
    "</figcaption></figure>"
    "<table><thead><tr><th>Year</th></tr></thead><tbody><tr><td>2011</td></tr></tbody></table>"
)
KEPT = ("<h2>Heading two</h2>", "<h3>Heading three</h3>", "<h4>Heading four</h4>",
        "<em>emphasis</em>", "<strong>strength</strong>", "<ul><li>bullet</li></ul>",
        "<ol><li>number</li></ol>", "<blockquote><p>A quotation.</p></blockquote>", "<figure>",
        'src="/media/uploads/chart.png"', 'alt="A chart"', "<figcaption>Chart</figcaption>",
        "<table>", "<th>Year</th>", "<td>2011</td>")  # fmt: skip

RICH_FIELDS = {
    "essay body": (EssayFactory, Essay, "body"),
    "series intro": (SeriesFactory, Series, "intro"),
    "author bio": (AuthorFactory, Author, "bio"),
}


def saved_value(field_key, html):
    factory, model, field = RICH_FIELDS[field_key]
    item = factory(**{field: html})
    return getattr(model.objects.get(pk=item.pk), field)


@pytest.mark.parametrize("field_key", RICH_FIELDS)
def test_hostile_html_is_removed_when_saved(field_key):
    stored = saved_value(field_key, HOSTILE)

    for forbidden in FORBIDDEN:
        assert forbidden not in stored
    assert "Hello" in stored
    assert "world" in stored
    assert "loud" in stored


@pytest.mark.parametrize("field_key", RICH_FIELDS)
def test_allowed_editorial_markup_survives_saving(field_key):
    stored = saved_value(field_key, ALLOWED)

    for kept in KEPT:
        assert kept in stored


@pytest.mark.parametrize("field_key", RICH_FIELDS)
def test_links_keep_their_href_and_external_links_get_noopener_noreferrer(field_key):
    stored = saved_value(field_key, '<p><a href="https://example.org/report">report</a></p>')

    assert 'href="https://example.org/report"' in stored
    assert 'rel="noopener noreferrer"' in stored


def test_link_rel_chosen_by_the_author_is_replaced():
    stored = saved_value("essay body", '<p><a href="https://example.org/" rel="opener">x</a></p>')

    assert 'rel="noopener noreferrer"' in stored
    assert 'rel="opener"' not in stored


def test_hostile_essay_body_written_straight_to_the_database_is_rendered_safe(client):
    essay = EssayFactory(body="<p>Clean.</p>")
    Essay.objects.filter(pk=essay.pk).update(body=HOSTILE)

    page = client.get(essay.get_absolute_url()).content.decode()

    assert "Hello" in page
    # The only scripts on the page are the JSON-LD data blocks, which browsers never run.
    scripts = re.findall(r"<script\b[^>]*>", page, flags=re.IGNORECASE)
    assert scripts
    assert all('type="application/ld+json"' in tag for tag in scripts)
    assert "alert(" not in page
    assert "onerror=" not in page
    assert "onclick=" not in page
    assert "javascript:" not in page
    assert "<iframe" not in page


@pytest.mark.parametrize(
    ("factory", "model", "field"),
    [(SeriesFactory, Series, "intro"), (AuthorFactory, Author, "bio")],
    ids=["series intro", "author bio"],
)
def test_hostile_rich_text_written_straight_to_the_database_is_rendered_safe(
    client, factory, model, field
):
    item = factory()
    model.objects.filter(pk=item.pk).update(**{field: HOSTILE})

    page = client.get(item.get_absolute_url()).content.decode()

    assert "Hello" in page
    assert "alert(" not in page
    assert "onerror=" not in page
    assert "<iframe" not in page


def test_plain_text_fields_are_escaped_on_the_essay_page(client):
    essay = EssayFactory(
        title="<script>alert(1)</script>Title", standfirst='<img src=x onerror="alert(2)">'
    )

    page = client.get(essay.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Title" in page
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    "src",
    [
        "x",
        "https://evil.example/beacon.png",
        "//evil.example/beacon.png",
        "/newsletter/",
        "/media/../newsletter/",
        "/media/%2e%2e/newsletter/",  # browsers decode it to ".."
        "/media/%2E%2E%2Fnewsletter/",
        "data:image/png;base64,AAAA",
    ],
)
def test_images_are_kept_only_from_our_own_media_storage(src):
    essay = EssayFactory(body=f'<p>Text</p><img src="{src}" alt="An image">')

    essay.refresh_from_db()
    assert "src=" not in essay.body
    assert 'alt="An image"' in essay.body
