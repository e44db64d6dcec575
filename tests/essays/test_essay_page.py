"""The essay page: title, standfirst, bylines, date, reading time, topics, series navigation."""

import datetime as dt

import pytest
from django.utils import timezone

from series.models import Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import elements, hrefs, text_of

pytestmark = pytest.mark.django_db

PUBLISHED_AT = dt.datetime(2024, 7, 5, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def essay():
    return EssayFactory(
        title="Owning the future",
        standfirst="Why ownership matters now.",
        body="<p>" + " ".join(["word"] * 456) + "</p>",  # 460 words with the 4-word standfirst
        published_at=PUBLISHED_AT,
        authors=[AuthorFactory(name="Zoe Zeal"), AuthorFactory(name="Adam Ant")],
        topics=["Public services", "Co-operatives"],
    )


def test_essay_page_shows_title_and_standfirst(client, essay):
    response = client.get("/essays/owning-the-future/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Owning the future</h1>" in page
    assert '<p class="standfirst">Why ownership matters now.</p>' in page


def test_essay_page_bylines_link_to_author_pages_in_byline_order(client, essay):
    page = client.get(essay.get_absolute_url()).content.decode()

    byline = elements(page, "p", "byline")[0]
    assert text_of(byline) == "By Zoe Zeal & Adam Ant"
    assert hrefs(byline) == ["/authors/zoe-zeal/", "/authors/adam-ant/"]


def test_essay_page_shows_machine_readable_publication_date(client, essay):
    page = client.get(essay.get_absolute_url()).content.decode()

    expected = timezone.localtime(PUBLISHED_AT).isoformat()
    assert f'<time datetime="{expected}">5 July 2024</time>' in page


def test_essay_page_shows_reading_time_rounded_up_in_minutes(client, essay):
    assert "2 min read" in text_of(client.get(essay.get_absolute_url()))

    essay.body += "<p>one more</p>"
    essay.save()

    assert "3 min read" in text_of(client.get(essay.get_absolute_url()))


def test_short_essay_reads_in_at_least_one_minute(client):
    essay = EssayFactory(body="<p>Brief.</p>")

    assert "1 min read" in text_of(client.get(essay.get_absolute_url()))


def test_essay_page_links_each_topic_to_its_topic_page(client, essay):
    page = client.get(essay.get_absolute_url()).content.decode()

    (topics,) = elements(page, "section", "essay__topics")
    assert sorted(hrefs(topics)) == ["/topics/co-operatives/", "/topics/public-services/"]
    assert "Public services" in text_of(topics)
    assert "Co-operatives" in text_of(topics)


def test_essay_page_renders_its_body(client):
    essay = EssayFactory(body="<h2>A heading</h2><p>A <strong>strong</strong> point.</p>")

    page = client.get(essay.get_absolute_url()).content.decode()

    assert "<h2>A heading</h2><p>A <strong>strong</strong> point.</p>" in page


@pytest.fixture
def three_part_series():
    series = SeriesFactory(title="Three parts")
    now = timezone.now()
    parts = [
        EssayFactory(
            title=f"Part {name}",
            series=series,
            series_position=position,
            published_at=now - dt.timedelta(days=position),
        )
        for position, name in [(2, "beta"), (1, "alpha"), (3, "gamma")]
    ]
    EssayFactory(title="Part draft", series=series, series_position=4, status=Status.DRAFT)
    return series, {essay.title: essay for essay in parts}


def series_nav(client, essay):
    page = client.get(essay.get_absolute_url()).content.decode()
    navs = elements(page, "nav", "series-nav")
    return page, navs[0] if navs else ""


def test_essay_in_a_series_shows_part_n_of_m_with_previous_and_next(client, three_part_series):
    series, parts = three_part_series

    page, nav = series_nav(client, parts["Part beta"])

    assert "Part 2 of 3" in text_of(page)
    assert '<a rel="prev" href="/essays/part-alpha/">' in nav
    assert '<a rel="next" href="/essays/part-gamma/">' in nav
    assert "Previous Part alpha" in text_of(nav)
    assert "Next Part gamma" in text_of(nav)
    assert series.get_absolute_url() in hrefs(page)


def test_first_part_has_no_previous_link_and_last_part_no_next(client, three_part_series):
    _, parts = three_part_series

    _, first = series_nav(client, parts["Part alpha"])
    _, last = series_nav(client, parts["Part gamma"])

    assert "Part 1 of 3" in text_of(first)
    assert 'rel="prev"' not in first
    assert '<a rel="next" href="/essays/part-beta/">' in first
    assert "Part 3 of 3" in text_of(last)
    assert 'rel="next"' not in last
    assert "/essays/part-draft/" not in last


def test_standalone_essay_has_no_series_navigation(client):
    essay = EssayFactory(series=None)

    page = client.get(essay.get_absolute_url()).content.decode()

    assert "series-nav" not in page
    assert "Part " not in text_of(elements(page, "header", "essay__header")[0])


def test_essay_breadcrumb_goes_through_its_series(client, three_part_series):
    series, parts = three_part_series

    page = client.get(parts["Part alpha"].get_absolute_url()).content.decode()

    (breadcrumb,) = elements(page, "nav", "breadcrumbs")
    assert hrefs(breadcrumb) == ["/", "/ideas/", series.get_absolute_url()]
    assert text_of(breadcrumb) == "Home Ideas & Debate Three parts Part alpha"


def test_unknown_essay_is_404(client):
    assert client.get("/essays/no-such-essay/").status_code == 404


def test_reading_time_counts_only_the_words_readers_see(client):
    hidden_words = " ".join(["hidden"] * 1000)
    essay = EssayFactory(body=f"<p>Short.</p><script>{hidden_words}</script>")

    assert "1 min read" in text_of(client.get(essay.get_absolute_url()))
