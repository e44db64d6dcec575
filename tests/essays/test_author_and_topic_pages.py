"""Author pages (who they are, their published essays) and topic pages."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from series.models import Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import elements, hrefs, positions, text_of

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def author():
    return AuthorFactory(
        name="Robin Murray", role="Visiting fellow, LSE", bio="<p>Writes about co-operatives.</p>"
    )


def test_author_page_shows_name_role_and_bio(client, author):
    response = client.get("/authors/robin-murray/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Robin Murray</h1>" in page
    assert "Visiting fellow, LSE" in text_of(page)
    assert "<p>Writes about co-operatives.</p>" in page


def test_author_page_lists_their_published_essays_newest_first(client, author):
    other = AuthorFactory(name="Someone Else")
    EssayFactory(title="Older essay", authors=[author], published_at=days_ago(20))
    EssayFactory(title="Newest essay", authors=[other, author], published_at=days_ago(1))
    EssayFactory(title="Middle essay", authors=[author], published_at=days_ago(5))
    EssayFactory(title="Not theirs", authors=[other], published_at=days_ago(2))
    EssayFactory(title="Their draft", authors=[author], status=Status.DRAFT)
    EssayFactory(title="Their scheduled", authors=[author], published_at=days_ago(-2))

    response = client.get(author.get_absolute_url())

    page = text_of(response)
    newest, middle, older = positions(page, ["Newest essay", "Middle essay", "Older essay"])
    assert newest < middle < older
    assert len(elements(response.content.decode(), "article", "card")) == 3
    assert "Not theirs" not in page
    assert "Their draft" not in page
    assert "Their scheduled" not in page


def test_author_page_without_published_essays_says_so(client, author):
    EssayFactory(title="Their draft", authors=[author], status=Status.DRAFT)

    page = text_of(client.get(author.get_absolute_url()))

    assert "No published essays yet." in page
    assert "Their draft" not in page


def test_unknown_author_is_404(client):
    assert client.get("/authors/nobody/").status_code == 404


def test_topic_page_lists_its_published_essays_newest_first(client):
    EssayFactory(title="Older housing essay", topics=["Housing"], published_at=days_ago(9))
    EssayFactory(
        title="Newer housing essay", topics=["Housing", "Cities"], published_at=days_ago(1)
    )
    EssayFactory(title="Pensions essay", topics=["Pensions"])
    EssayFactory(title="Draft housing essay", topics=["Housing"], status=Status.DRAFT)
    EssayFactory(title="Scheduled housing essay", topics=["Housing"], published_at=days_ago(-1))

    response = client.get("/topics/housing/")

    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Housing</h1>" in response.content.decode()
    newer, older = positions(page, ["Newer housing essay", "Older housing essay"])
    assert newer < older
    for hidden in ("Pensions essay", "Draft housing essay", "Scheduled housing essay"):
        assert hidden not in page


def test_topic_page_includes_essays_inside_a_series(client):
    series = SeriesFactory(title="Some series")
    EssayFactory(title="Housing essay in a series", series=series, topics=["Housing"])

    assert "Housing essay in a series" in text_of(client.get("/topics/housing/"))


def test_topic_page_lists_published_series_under_the_topic(client):
    series = SeriesFactory(title="Housing series")
    series.topics.set(["Housing"])
    draft = SeriesFactory(title="Draft housing series", status=Status.DRAFT)
    draft.topics.set(["Housing"])

    page = text_of(client.get("/topics/housing/"))

    assert "Housing series" in page
    assert "Draft housing series" not in page


def test_unknown_topic_page_is_404(client):
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_topic_used_only_by_unpublished_work_is_404(client):
    EssayFactory(title="Draft housing essay", topics=["Housing"], status=Status.DRAFT)

    response = client.get("/topics/housing/")

    assert response.status_code == 404
    assert "Draft housing essay" not in text_of(response)


def test_topic_page_lists_its_series_newest_first(client):
    for days, title in [(30, "Oldest series"), (10, "Newest series"), (20, "Middle series")]:
        series = SeriesFactory(title=title, published_at=days_ago(days))
        series.topics.set(["Housing"])

    page = text_of(client.get("/topics/housing/"))

    newest, middle, oldest = positions(page, ["Newest series", "Middle series", "Oldest series"])
    assert newest < middle < oldest


# Pages of a long list: "Older" and "Newer" links, by cursor ------------------------------


def older_link(response):
    found = re.search(r'<a rel="next" href="([^"]+)">Older', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def essay_titles(response):
    return [
        text_of(re.search(r'class="card__title">(.*?)</h', card, re.S).group(1))
        for card in elements(response.content.decode(), "article", "card card--essay")
    ]


def test_author_page_lists_20_essays_then_links_to_the_older_ones(client, author):
    for day in range(1, 46):
        EssayFactory(title=f"Essay {day:02d}", authors=[author], published_at=days_ago(day))

    seen, url = [], author.get_absolute_url()
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen.append(essay_titles(response))
        older = older_link(response)
        url = f"{author.get_absolute_url()}{older}" if older else None

    assert [len(page) for page in seen] == [20, 20, 5]
    assert [title for page in seen for title in page] == [f"Essay {d:02d}" for d in range(1, 46)]


def test_topic_pages_essays_20_at_a_time_and_its_series_on_the_first_page_only(client):
    for day in range(1, 26):
        EssayFactory(
            title=f"Housing essay {day:02d}", topics=["Housing"], published_at=days_ago(day)
        )
    series = SeriesFactory(title="Housing series")
    series.topics.set(["Housing"])

    first = client.get("/topics/housing/")
    second = client.get(f"/topics/housing/{older_link(first)}")

    assert essay_titles(first) == [f"Housing essay {day:02d}" for day in range(1, 21)]
    assert essay_titles(second) == [f"Housing essay {day:02d}" for day in range(21, 26)]
    assert "Housing series" in text_of(first)
    assert "Housing series" not in text_of(second)


def test_topic_page_shows_its_four_newest_series_and_links_to_the_rest(client):
    for day in range(1, 7):
        series = SeriesFactory(title=f"Housing series {day}", published_at=days_ago(day))
        series.topics.set(["Housing"])

    response = client.get("/topics/housing/")

    page = text_of(response)
    assert [f"Housing series {day}" in page for day in range(1, 7)] == [True] * 4 + [False] * 2
    assert "/ideas/?topic=housing" in hrefs(response.content.decode())


@pytest.mark.parametrize("url", ["/topics/housing/?page=2", "/authors/robin-murray/?page=3"])
def test_old_numbered_pages_of_topics_and_authors_redirect_to_the_first(client, author, url):
    EssayFactory(authors=[author], topics=["Housing"])

    response = client.get(url)

    assert response.status_code == 301
    assert response["Location"] == url.split("?")[0]


@pytest.mark.parametrize("query", ["before=nonsense", "after=1e", "before=0e1"])
def test_a_bad_or_exhausted_cursor_on_an_author_or_topic_page_is_a_404(client, author, query):
    EssayFactory(authors=[author], topics=["Housing"])

    assert client.get(f"/topics/housing/?{query}").status_code == 404
    assert client.get(f"{author.get_absolute_url()}?{query}").status_code == 404
