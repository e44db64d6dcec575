"""Publishing rules: what readers may see is published AND already past its publication time."""

import datetime as dt

import pytest
from django.db.models.functions import Now
from django.utils import timezone

from essays.models import Essay
from series.models import Series, Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

FUTURE = dt.timedelta(days=3)


def past(days=2):
    return timezone.now() - dt.timedelta(days=days)


@pytest.mark.parametrize("model", [Essay, Series])
def test_published_returns_only_published_items_whose_time_has_come(model):
    factory = EssayFactory if model is Essay else SeriesFactory
    live = factory(title="Live", status=Status.PUBLISHED, published_at=past())
    factory(title="Draft", status=Status.DRAFT, published_at=None)
    factory(title="Dated draft", status=Status.DRAFT, published_at=past())
    factory(title="Scheduled", status=Status.PUBLISHED, published_at=timezone.now() + FUTURE)

    assert list(model.objects.published()) == [live]


def test_published_compares_with_the_database_clock():
    sql = str(Essay.objects.published().query)

    assert "STATEMENT_TIMESTAMP()" in sql or "CURRENT_TIMESTAMP" in sql


def test_item_published_at_the_database_now_is_immediately_public():
    essay = EssayFactory(status=Status.PUBLISHED)
    Essay.objects.filter(pk=essay.pk).update(published_at=Now())

    assert list(Essay.objects.published()) == [essay]


@pytest.mark.parametrize("factory", [EssayFactory, SeriesFactory])
def test_saving_a_published_item_without_a_date_sets_it_to_now(factory):
    before = timezone.now()
    item = factory(status=Status.PUBLISHED, published_at=None)
    item.refresh_from_db()

    assert before <= item.published_at <= timezone.now()
    assert item in type(item).objects.published()


@pytest.mark.parametrize("factory", [EssayFactory, SeriesFactory])
def test_saving_a_draft_leaves_its_date_empty(factory):
    item = factory(status=Status.DRAFT, published_at=None)
    item.refresh_from_db()

    assert item.published_at is None


@pytest.mark.parametrize("factory", [EssayFactory, SeriesFactory])
def test_saving_a_published_item_keeps_the_date_it_was_given(factory):
    when = timezone.now() + FUTURE
    item = factory(status=Status.PUBLISHED, published_at=when)
    item.refresh_from_db()

    assert item.published_at == when


@pytest.fixture
def hidden_and_public():
    """A topic and an author shared by public work and by drafts and scheduled work."""
    author = AuthorFactory(name="Shared Author")
    series = SeriesFactory(title="Public series", published_at=past(30))
    series.topics.set(["Housing"])
    draft_series = SeriesFactory(title="Hidden draft series", status=Status.DRAFT)
    draft_series.topics.set(["Housing"])
    scheduled_series = SeriesFactory(
        title="Hidden scheduled series", published_at=timezone.now() + FUTURE
    )
    scheduled_series.topics.set(["Housing"])
    common = {"authors": [author], "topics": ["Housing"]}
    EssayFactory(title="Public standalone essay", published_at=past(1), **common)
    EssayFactory(title="Public series essay", series=series, published_at=past(1), **common)
    EssayFactory(title="Hidden draft essay", status=Status.DRAFT, published_at=None, **common)
    EssayFactory(
        title="Hidden dated draft essay", status=Status.DRAFT, published_at=past(1), **common
    )
    EssayFactory(title="Hidden scheduled essay", published_at=timezone.now() + FUTURE, **common)
    EssayFactory(title="Hidden draft in series", series=series, status=Status.DRAFT, **common)
    EssayFactory(
        title="Hidden scheduled in series",
        series=series,
        published_at=timezone.now() + FUTURE,
        **common,
    )
    return {"author": author, "series": series}


PUBLIC_PAGES = {
    "home": lambda data: "/",
    "ideas": lambda data: "/ideas/",
    "ideas filtered by topic": lambda data: "/ideas/?topic=housing",
    "series page": lambda data: data["series"].get_absolute_url(),
    "author page": lambda data: data["author"].get_absolute_url(),
    "topic page": lambda data: "/topics/housing/",
}


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_drafts_and_scheduled_items_never_appear_on_public_pages(client, hidden_and_public, page):
    response = client.get(PUBLIC_PAGES[page](hidden_and_public))

    assert response.status_code == 200
    assert "Public" in text_of(response)
    assert "Hidden" not in text_of(response)


@pytest.mark.parametrize("path", ["/", "/ideas/", "/topics/housing/"])
def test_series_card_counts_only_published_essays(client, hidden_and_public, path):
    page = text_of(client.get(path))

    assert "Series · 1 essay ·" in page


SERIES_NOT_YET_PUBLIC = {
    "draft": {"status": Status.DRAFT, "published_at": None},
    "scheduled": {"status": Status.PUBLISHED, "published_at": timezone.now() + FUTURE},
}


@pytest.mark.parametrize("state", SERIES_NOT_YET_PUBLIC)
@pytest.mark.parametrize("path", ["/", "/ideas/", "/topics/housing/", "/authors/shared-author/"])
def test_published_essay_in_an_unpublished_series_does_not_reveal_that_series(client, path, state):
    author = AuthorFactory(name="Shared Author")
    secret = SeriesFactory(title="Secret series", **SERIES_NOT_YET_PUBLIC[state])
    EssayFactory(
        title="Public essay in an unpublished series",
        series=secret,
        authors=[author],
        topics=["Housing"],
    )

    response = client.get(path)

    assert "Public essay in an unpublished series" in text_of(response)
    assert "Secret series" not in text_of(response)
    assert secret.get_absolute_url() not in response.content.decode()


@pytest.mark.parametrize("page", PUBLIC_PAGES)
@pytest.mark.usefixtures("page_cache_off")  # the cache's clock: test_page_cache.py
def test_scheduled_essay_appears_once_its_time_passes(client, hidden_and_public, page):
    # In the series only where the series page is checked: /ideas/ shows series' essays as a card.
    series = hidden_and_public["series"] if page == "series page" else None
    essay = EssayFactory(
        title="Scheduled then live",
        series=series,
        authors=[hidden_and_public["author"]],
        topics=["Housing"],
        published_at=timezone.now() + FUTURE,
    )
    path = PUBLIC_PAGES[page](hidden_and_public)
    assert "Scheduled then live" not in text_of(client.get(path))
    assert client.get(essay.get_absolute_url()).status_code == 404

    Essay.objects.filter(pk=essay.pk).update(published_at=timezone.now() - dt.timedelta(seconds=1))

    assert "Scheduled then live" in text_of(client.get(path))
    assert client.get(essay.get_absolute_url()).status_code == 200


@pytest.mark.usefixtures("page_cache_off")  # the cache's clock: test_page_cache.py
def test_scheduled_essay_counts_in_its_series_card_once_its_time_passes(client):
    series = SeriesFactory()
    EssayFactory(series=series)
    scheduled = EssayFactory(series=series, published_at=timezone.now() + FUTURE)
    assert "Series · 1 essay ·" in text_of(client.get("/ideas/"))

    Essay.objects.filter(pk=scheduled.pk).update(published_at=past(1))

    assert "Series · 2 essays ·" in text_of(client.get("/ideas/"))


@pytest.mark.usefixtures("page_cache_off")  # the cache's clock: test_page_cache.py
def test_scheduled_series_appears_once_its_time_passes(client):
    series = SeriesFactory(title="Scheduled series", published_at=timezone.now() + FUTURE)
    assert "Scheduled series" not in text_of(client.get("/ideas/"))
    assert client.get(series.get_absolute_url()).status_code == 404

    Series.objects.filter(pk=series.pk).update(published_at=past(1))

    assert "Scheduled series" in text_of(client.get("/ideas/"))
    assert "Scheduled series" in text_of(client.get("/"))
    assert client.get(series.get_absolute_url()).status_code == 200
