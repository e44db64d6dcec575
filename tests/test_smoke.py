"""Smoke run, on whichever database DATABASE_URL names (`make test` runs it on SQLite too)."""

import pytest
from django.core.management import call_command

from essays.models import Author, Essay
from series.models import Series


@pytest.fixture
def demo(db):
    call_command("load_demo_content", verbosity=0)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/ideas/",
        "/ideas/?topic=mutualism",
        "/ideas/?page=2",
        "/series/mutualism-social-democratic-policy-in-an-age-of-austerity/",
        "/essays/the-new-wave-of-mutuality/",
        "/essays/investing-in-the-mutualisation-of-public-services/",
        "/authors/robin-murray/",
        "/topics/co-operatives/",
        "/healthz",
        "/robots.txt",
        "/feeds/essays/",
        "/series/mutualism-social-democratic-policy-in-an-age-of-austerity/feed/",
        "/authors/robin-murray/feed/",
        "/topics/co-operatives/feed/",
        "/sitemap.xml",
        "/sitemap-essays.xml",
        "/sitemap-series.xml",
        "/sitemap-authors.xml",
        "/sitemap-topics.xml",
    ],
)
def test_every_page_type_renders_with_demo_content(client, demo, path):
    response = client.get(path, follow=True)  # old ?page= links redirect to the first page
    assert response.status_code == 200, path


def test_demo_content_is_the_seed_series(demo):
    series = Series.objects.get()
    assert series.title == "Mutualism: social democratic policy in an age of austerity"
    assert Essay.objects.published().count() == 8
    assert Author.objects.count() == 9
