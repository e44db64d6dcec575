"""Draft preview: staff see drafts and scheduled work with a banner; nobody else sees them."""

import datetime as dt

import pytest
from django.utils import timezone

from series.models import Status
from tests.factories import EssayFactory, SeriesFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

FACTORIES = {"essay": EssayFactory, "series": SeriesFactory}
STATES = {
    "draft": (
        lambda: {"status": Status.DRAFT, "published_at": None},
        "Draft — not public",
    ),
    "dated draft": (
        lambda: {"status": Status.DRAFT, "published_at": timezone.now() - dt.timedelta(days=1)},
        "Draft — not public",
    ),
    "scheduled": (
        lambda: {
            "status": Status.PUBLISHED,
            "published_at": timezone.now() + dt.timedelta(days=2),
        },
        "Scheduled — not public",
    ),
}
NEVER_CACHE_MARKERS = ("no-cache", "no-store", "private", "max-age=0")


def make(kind, state, **extra):
    fields, _ = STATES[state]
    return FACTORIES[kind](title=f"Unreleased {kind}", **fields(), **extra)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", FACTORIES)
def test_anonymous_reader_gets_404_for_unpublished_work(client, kind, state):
    item = make(kind, state)

    response = client.get(item.get_absolute_url())

    assert response.status_code == 404
    assert "Unreleased" not in text_of(response)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", FACTORIES)
def test_logged_in_non_staff_user_gets_404_for_unpublished_work(
    client, django_user_model, kind, state
):
    item = make(kind, state)
    client.force_login(django_user_model.objects.create_user("reader"))

    assert client.get(item.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", FACTORIES)
def test_staff_preview_unpublished_work_with_banner_and_never_cache_headers(
    client, staff_user, kind, state
):
    item = make(kind, state)
    client.force_login(staff_user)

    response = client.get(item.get_absolute_url())

    assert response.status_code == 200
    assert f"Unreleased {kind}" in text_of(response)
    assert STATES[state][1] in text_of(response)
    cache_control = response.headers.get("Cache-Control", "")
    assert any(marker in cache_control for marker in NEVER_CACHE_MARKERS), cache_control


@pytest.mark.parametrize("kind", FACTORIES)
def test_published_page_has_no_banner_for_anonymous_readers(client, kind):
    item = FACTORIES[kind](title="Released work")

    response = client.get(item.get_absolute_url())

    assert response.status_code == 200
    assert "Released work" in text_of(response)
    assert "not public" not in text_of(response)
    assert "draft-banner" not in response.content.decode()


@pytest.mark.parametrize("kind", FACTORIES)
def test_published_page_has_no_banner_for_staff_either(client, staff_user, kind):
    item = FACTORIES[kind]()
    client.force_login(staff_user)

    assert "not public" not in text_of(client.get(item.get_absolute_url()))


def test_staff_preview_of_a_draft_series_lists_its_draft_essays(client, staff_user):
    series = make("series", "draft")
    EssayFactory(title="Essay still in draft", series=series, status=Status.DRAFT)
    client.force_login(staff_user)

    assert "Essay still in draft" in text_of(client.get(series.get_absolute_url()))
