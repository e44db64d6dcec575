"""/ideas/: series and standalone essays together, newest first, paginated, by topic."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import EssayFactory, SeriesFactory
from tests.helpers import elements, hrefs, positions, text_of

pytestmark = pytest.mark.django_db

PAGE_SIZE = 20


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


def cards(response):
    return elements(response.content.decode(), "article", "card")


def test_ideas_mixes_series_and_standalone_essays_newest_first(client):
    series = SeriesFactory(title="Middle series", published_at=days_ago(5))
    EssayFactory(title="Essay held by the series", series=series, published_at=days_ago(1))
    EssayFactory(title="Newest standalone", published_at=days_ago(2))
    EssayFactory(title="Oldest standalone", published_at=days_ago(10))

    response = client.get("/ideas/")

    assert response.status_code == 200
    kinds = ["series" if "card--series" in card else "essay" for card in cards(response)]
    assert kinds == ["essay", "series", "essay"]
    page = text_of(response)
    newest, middle, oldest = positions(
        page, ["Newest standalone", "Middle series", "Oldest standalone"]
    )
    assert newest < middle < oldest
    assert "Essay held by the series" not in page


def test_ideas_shows_essays_in_a_published_series_only_through_the_series_card(client):
    series = SeriesFactory(title="Holding series")
    EssayFactory(title="Essay in series", series=series)
    EssayFactory(title="Another in series", series=series)

    response = client.get("/ideas/")

    page = text_of(response)
    assert "Holding series" in page
    assert "Series · 2 essays" in page
    assert "Essay in series" not in page
    assert "Another in series" not in page
    assert essay_links(response) == []


def essay_links(response):
    return [href for href in hrefs(response.content.decode()) if href.startswith("/essays/")]


def test_ideas_shows_20_entries_per_page_and_page_2_holds_the_rest(client):
    for day in range(1, 26):
        EssayFactory(title=f"Standalone {day:02d}", published_at=days_ago(day))

    first = client.get("/ideas/")
    second = client.get("/ideas/?page=2")

    assert len(cards(first)) == PAGE_SIZE
    assert "Standalone 01" in text_of(first)
    assert "Standalone 20" in text_of(first)
    assert "Standalone 21" not in text_of(first)
    assert second.status_code == 200
    assert len(cards(second)) == 5
    assert [text_of(card).split("Standalone ")[1][:2] for card in cards(second)] == [
        "21", "22", "23", "24", "25",
    ]  # fmt: skip
    assert '<a rel="next" href="?page=2">' in first.content.decode()
    assert '<a rel="prev" href="?page=1">' in second.content.decode()


@pytest.mark.parametrize("page", ["99", "0", "-1", "abc", ""])
def test_ideas_out_of_range_or_bad_page_number_does_not_fail(client, page):
    for day in range(1, 4):
        EssayFactory(published_at=days_ago(day))

    response = client.get(f"/ideas/?page={page}")

    assert response.status_code in {200, 404}
    if response.status_code == 200:
        assert len(cards(response)) == 3


def test_ideas_topic_filter_lists_only_work_under_that_topic(client):
    tagged_series = SeriesFactory(title="Housing series")
    tagged_series.topics.set(["Housing"])
    EssayFactory(title="Housing essay", topics=["Housing", "Cities"])
    EssayFactory(title="Pensions essay", topics=["Pensions"])
    untagged_series = SeriesFactory(title="Pensions series")
    untagged_series.topics.set(["Pensions"])

    response = client.get("/ideas/?topic=housing")

    assert response.status_code == 200
    page = text_of(response)
    assert "Housing series" in page
    assert "Housing essay" in page
    assert "Pensions essay" not in page
    assert "Pensions series" not in page
    assert len(cards(response)) == 2


def test_ideas_topic_filter_includes_essays_whose_series_has_other_topics(client):
    # As in the seed: the Mutualism series is not tagged "Co-operatives", three of its essays are.
    series = SeriesFactory(title="Broad series")
    series.topics.set(["Mutualism"])
    EssayFactory(title="Co-op essay in the series", series=series, topics=["Co-operatives"])

    response = client.get("/ideas/?topic=co-operatives")

    assert response.status_code == 200
    page = text_of(response)
    assert "Co-op essay in the series" in page or "Broad series" in page


def test_ideas_topic_filter_keeps_the_topic_in_pagination_links(client):
    for day in range(1, 23):
        EssayFactory(published_at=days_ago(day), topics=["Housing"])

    response = client.get("/ideas/?topic=housing")

    assert '<a rel="next" href="?topic=housing&amp;page=2">' in response.content.decode()
    assert len(cards(client.get("/ideas/?topic=housing&page=2"))) == 2


def test_ideas_unknown_topic_is_404(client):
    EssayFactory(topics=["Housing"])

    assert client.get("/ideas/?topic=no-such-topic").status_code == 404
