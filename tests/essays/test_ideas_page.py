"""/ideas/: series and standalone essays together, newest first, paginated, by topic."""

import datetime as dt
import html
import re

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


def pagination_link(response, rel):
    """Return the href of the page's "Newer" (rel=prev) or "Older" (rel=next) link, or None."""
    (nav,) = elements(response.content.decode(), "nav", "pagination") or [""]
    found = re.search(rf'<a rel="{rel}" href="([^"]+)">', nav)
    return html.unescape(found.group(1)) if found else None


def titles(response):
    return [
        text_of(re.search(r'class="card__title">(.*?)</h', card, re.S).group(1))
        for card in cards(response)
    ]


def test_ideas_shows_20_entries_per_page_and_the_older_link_holds_the_rest(client):
    for day in range(1, 26):
        EssayFactory(title=f"Standalone {day:02d}", published_at=days_ago(day))

    first = client.get("/ideas/")
    older = pagination_link(first, "next")
    second = client.get(f"/ideas/{older}")

    assert titles(first) == [f"Standalone {day:02d}" for day in range(1, 21)]
    assert pagination_link(first, "prev") is None
    assert older.startswith("?before=")
    assert second.status_code == 200
    assert titles(second) == [f"Standalone {day:02d}" for day in range(21, 26)]
    assert pagination_link(second, "next") is None


def test_the_older_and_newer_links_are_plain_links_in_a_labelled_navigation(client):
    for day in range(1, 26):
        EssayFactory(published_at=days_ago(day))

    second = client.get(f"/ideas/{pagination_link(client.get('/ideas/'), 'next')}")

    (nav,) = elements(second.content.decode(), "nav", "pagination")
    assert 'aria-label="Pages"' in nav
    assert re.search(r'<a rel="prev" href="\?after=[^"]+">← Newer</a>', nav)
    assert "Older" not in text_of(nav)  # nothing older than the last page


def test_walking_older_links_lists_every_entry_once_newest_first_even_on_equal_dates(client):
    # Series and essays published at the very same moment: the cursor must still give each
    # entry exactly one place, so that none is skipped or repeated at a page boundary.
    moment = days_ago(3)
    expected = []
    for number in range(12):
        SeriesFactory(title=f"Tied series {number:02d}", published_at=moment)
        EssayFactory(title=f"Tied essay {number:02d}", published_at=moment)
    for day in range(4, 21):
        EssayFactory(title=f"Later essay {day:02d}", published_at=days_ago(day))
    expected = [f"Tied series {n:02d}" for n in reversed(range(12))]
    expected += [f"Tied essay {n:02d}" for n in reversed(range(12))]
    expected += [f"Later essay {day:02d}" for day in range(4, 21)]

    seen, url = [], "/ideas/"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += titles(response)
        older = pagination_link(response, "next")
        url = f"/ideas/{older}" if older else None

    assert seen == expected


def test_newer_links_walk_back_and_the_newest_entries_are_the_first_page(client):
    for day in range(1, 46):
        EssayFactory(title=f"Standalone {day:02d}", published_at=days_ago(day))
    second = client.get(f"/ideas/{pagination_link(client.get('/ideas/'), 'next')}")
    third = client.get(f"/ideas/{pagination_link(second, 'next')}")

    back_to_second = client.get(f"/ideas/{pagination_link(third, 'prev')}")
    back_to_first = client.get(f"/ideas/{pagination_link(second, 'prev')}")

    assert titles(third) == [f"Standalone {day:02d}" for day in range(41, 46)]
    assert titles(back_to_second) == titles(second)
    assert back_to_first.status_code == 302
    assert back_to_first["Location"] == "/ideas/"


@pytest.mark.parametrize(
    "query",
    [
        "before=abc",
        "before=",
        "after=12",
        "before=1e5",
        "before=999999999999999999e1",  # a date past the year 9999
        "before=-99999999999999999s1",
        "before=1700000000000000x1",
        "before=1700000000000000e1&after=1700000000000000e1",
        "before=1700000000000000e1%00",
    ],
)
def test_a_malformed_cursor_is_a_404_never_an_error(client, query):
    EssayFactory()

    assert client.get(f"/ideas/?{query}").status_code == 404


def test_a_cursor_past_the_oldest_entry_is_a_404(client):
    EssayFactory(published_at=days_ago(3))

    assert client.get("/ideas/?before=0e1").status_code == 404  # 1970: nothing older


@pytest.mark.parametrize("page", ["1", "2", "99", "0", "-1", "abc", ""])
def test_old_numbered_page_links_redirect_for_good_to_the_first_page(client, page):
    EssayFactory(topics=["Housing"])

    plain = client.get(f"/ideas/?page={page}")
    by_topic = client.get(f"/ideas/?topic=housing&page={page}&utm_source=x")

    assert plain.status_code == 301
    assert plain["Location"] == "/ideas/"
    assert by_topic.status_code == 301
    assert by_topic["Location"] == "/ideas/?topic=housing"


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
    EssayFactory(title="Not housing", published_at=days_ago(30), topics=["Pensions"])

    response = client.get("/ideas/?topic=housing")
    older = pagination_link(response, "next")
    second = client.get(f"/ideas/{older}")

    assert older.startswith("?topic=housing&before=")
    assert len(cards(second)) == 2
    assert "Not housing" not in text_of(second)
    assert pagination_link(second, "prev").startswith("?topic=housing&after=")


def test_ideas_unknown_topic_is_404(client):
    EssayFactory(topics=["Housing"])

    assert client.get("/ideas/?topic=no-such-topic").status_code == 404
