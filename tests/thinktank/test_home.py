"""The home page: the latest series and the latest essays."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import EssayFactory, SeriesFactory
from tests.helpers import elements, positions, text_of

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


def test_home_shows_the_latest_series_newest_first(client):
    SeriesFactory(title="Series oldest", published_at=days_ago(40))
    for days, name in [(30, "Series third"), (10, "Series newest"), (20, "Series second")]:
        SeriesFactory(title=name, published_at=days_ago(days))

    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    section = elements(page, "section", "home-section")[0]  # "Latest series"
    shown = text_of(section)
    newest, second, third = positions(shown, ["Series newest", "Series second", "Series third"])
    assert newest < second < third
    assert "Series oldest" not in shown


def test_home_shows_the_latest_essays_newest_first(client):
    for day in range(1, 9):
        EssayFactory(title=f"Essay day {day}", published_at=days_ago(day))

    response = client.get("/")

    page = text_of(response)
    found = positions(page, [f"Essay day {day}" for day in range(1, 7)])
    assert found == sorted(found)
    assert "Essay day 7" not in page
    assert "Essay day 8" not in page


def test_home_links_to_ideas_and_each_item(client):
    series = SeriesFactory()
    essay = EssayFactory()

    page = client.get("/").content.decode()

    assert f'href="{series.get_absolute_url()}"' in page
    assert f'href="{essay.get_absolute_url()}"' in page
    assert 'href="/ideas/"' in page


def test_home_with_nothing_published_still_renders(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "No series published yet." in text_of(response)
    assert "No essays published yet." in text_of(response)


def test_every_page_offers_the_newsletter(client):
    assert "Register for all the latest updates in our regular newsletter" in text_of(
        client.get("/")
    )
