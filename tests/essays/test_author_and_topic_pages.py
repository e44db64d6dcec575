"""Author pages (who they are, their published essays) and topic pages."""

import datetime as dt

import pytest
from django.utils import timezone

from series.models import Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import elements, positions, text_of

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
