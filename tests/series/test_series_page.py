"""The series page: breadcrumb, intro, then its published essays in editorial order."""

import datetime as dt

import pytest
from django.utils import timezone

from series.models import Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import elements, hrefs, positions, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def series():
    return SeriesFactory(
        title="Mutual futures",
        standfirst="Essays on ownership.",
        intro="<p>First intro paragraph.</p><p>Second intro paragraph.</p>",
    )


def test_series_page_shows_breadcrumb_home_ideas_series(client, series):
    page = client.get(series.get_absolute_url()).content.decode()

    (breadcrumb,) = elements(page, "nav", "breadcrumbs")
    items = [text_of(item) for item in breadcrumb.split("</li>")[:-1]]
    separator = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "  # drawn by the CSS
    assert separator.join(items) == separator.join(["Home", "Ideas & Debate", "Mutual futures"])
    assert hrefs(breadcrumb) == ["/", "/ideas/"]
    assert 'aria-current="page">Mutual futures<' in breadcrumb


def test_series_page_shows_title_standfirst_and_intro(client, series):
    response = client.get(series.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Mutual futures</h1>" in page
    assert "Essays on ownership." in text_of(page)
    assert "<p>First intro paragraph.</p><p>Second intro paragraph.</p>" in page


def test_series_page_lists_essays_in_series_position_order_not_date_order(client, series):
    now = timezone.now()
    # Published newest first, positioned oldest first: the page must follow the positions.
    EssayFactory(
        title="Third part", series=series, series_position=3, published_at=now - dt.timedelta(3)
    )
    EssayFactory(
        title="First part", series=series, series_position=1, published_at=now - dt.timedelta(1)
    )
    EssayFactory(
        title="Second part", series=series, series_position=2, published_at=now - dt.timedelta(2)
    )

    page = text_of(client.get(series.get_absolute_url()))

    first, second, third = positions(page, ["First part", "Second part", "Third part"])
    assert first < second < third


def test_series_page_shows_each_essays_standfirst_and_formatted_byline(client, series):
    ann, bob, cat = (AuthorFactory(name=name) for name in ("Ann Ash", "Bob Birch", "Cat Cedar"))
    EssayFactory(title="Solo", standfirst="Solo standfirst.", series=series, series_position=1,
                 authors=[ann])  # fmt: skip
    EssayFactory(title="Duet", standfirst="Duet standfirst.", series=series, series_position=2,
                 authors=[bob, ann])  # fmt: skip
    EssayFactory(title="Trio", standfirst="Trio standfirst.", series=series, series_position=3,
                 authors=[cat, ann, bob])  # fmt: skip

    page = client.get(series.get_absolute_url()).content.decode()

    bylines = [text_of(byline) for byline in elements(page, "p", "byline")]
    assert bylines == ["By Ann Ash", "By Bob Birch & Ann Ash", "By Cat Cedar, Ann Ash & Bob Birch"]
    solo, duet, trio = positions(text_of(page), ["Solo standfirst.", "Duet standfirst.",
                                                 "Trio standfirst."])  # fmt: skip
    assert solo < duet < trio


def test_series_page_byline_links_to_author_pages_in_byline_order(client, series):
    second, first = AuthorFactory(name="Zed Zee"), AuthorFactory(name="Amy Aye")
    EssayFactory(series=series, authors=[first, second])

    page = client.get(series.get_absolute_url()).content.decode()

    (byline,) = elements(page, "p", "byline")
    assert hrefs(byline) == ["/authors/amy-aye/", "/authors/zed-zee/"]


def test_series_page_omits_draft_and_scheduled_essays(client, series):
    EssayFactory(title="Published part", series=series)
    EssayFactory(title="Draft part", series=series, status=Status.DRAFT)
    EssayFactory(
        title="Scheduled part", series=series, published_at=timezone.now() + dt.timedelta(1)
    )

    page = text_of(client.get(series.get_absolute_url()))

    assert "Published part" in page
    assert "Draft part" not in page
    assert "Scheduled part" not in page


def test_series_page_for_unknown_slug_is_404(client):
    assert client.get("/series/no-such-series/").status_code == 404
