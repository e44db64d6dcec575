"""The sitemap (an index, then a section per content type) and robots.txt."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from essays.models import Essay
from series.models import Series, Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from thinktank import sitemaps

pytestmark = pytest.mark.django_db

SITE_URL = "https://thinktank.example"
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SECTIONS = ["essays", "series", "authors", "topics"]


@pytest.fixture(autouse=True)
def _public_site_url(settings):
    settings.SITE_URL = SITE_URL


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


def day(moment):
    return timezone.localdate(moment).isoformat()


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    return ET.fromstring(response.content)  # noqa: S314 - our own server's output


def index(client):
    """Return {location: lastmod} from the sitemap index."""
    root = parse(client, "/sitemap.xml")
    assert root.tag == f"{NS}sitemapindex"
    return {
        entry.findtext(f"{NS}loc"): entry.findtext(f"{NS}lastmod")
        for entry in root.findall(f"{NS}sitemap")
    }


def urls(client):
    """Return {location: lastmod} for every URL in every section the index lists."""
    found = {}
    for location in index(client):
        assert location.startswith(f"{SITE_URL}/")
        root = parse(client, location.removeprefix(SITE_URL))
        assert root.tag == f"{NS}urlset"
        for url in root.findall(f"{NS}url"):
            found[url.findtext(f"{NS}loc")] = url.findtext(f"{NS}lastmod")
    return found


@pytest.fixture
def content():
    richard = AuthorFactory(name="Richard Todd")
    ben = AuthorFactory(name="Ben Williams")
    drafts_only = AuthorFactory(name="Drafts Only")
    series = SeriesFactory(title="Mutualism", published_at=days_ago(60))
    essay = EssayFactory(
        title="Mutualism: an introduction",
        series=series,
        authors=[ben, richard],
        topics=["Co-operatives"],
    )
    standalone = EssayFactory(title="Austerity & after", authors=[ben])
    SeriesFactory(title="Draft series", status=Status.DRAFT)
    SeriesFactory(title="Scheduled series", published_at=days_ago(-3))
    draft = EssayFactory(title="A draft", authors=[drafts_only], status=Status.DRAFT)
    draft.topics.set(["Only on drafts"])
    scheduled = EssayFactory(title="Scheduled", authors=[drafts_only], published_at=days_ago(-2))
    scheduled.topics.set(["Only on drafts"])
    housing_series = SeriesFactory(title="Housing", published_at=days_ago(5))
    housing_series.topics.set(["Housing"])  # a topic only a series carries
    return {"essay": essay, "standalone": standalone, "series": series}


def test_index_lists_each_section_at_an_absolute_site_url(client, content):
    sections = index(client)

    assert list(sections) == [f"{SITE_URL}/sitemap-{section}.xml" for section in SECTIONS]
    assert all(sections.values())  # every section has a lastmod


def test_sitemap_lists_every_published_page_and_nothing_else(client, content):
    assert set(urls(client)) == {
        f"{SITE_URL}/essays/mutualism-an-introduction/",
        f"{SITE_URL}/essays/austerity-after/",
        f"{SITE_URL}/series/mutualism/",
        f"{SITE_URL}/series/housing/",
        f"{SITE_URL}/authors/ben-williams/",
        f"{SITE_URL}/authors/richard-todd/",
        f"{SITE_URL}/topics/co-operatives/",
        f"{SITE_URL}/topics/housing/",
    }


def test_every_listed_page_answers(client, content):
    for location in urls(client):
        assert client.get(location.removeprefix(SITE_URL)).status_code == 200, location


def test_lastmod_is_when_readers_last_saw_a_change(client, content):
    essay, standalone, series = content["essay"], content["standalone"], content["series"]
    Essay.objects.filter(pk=essay.pk).update(published_at=days_ago(12), updated_at=days_ago(10))
    Essay.objects.filter(pk=standalone.pk).update(published_at=days_ago(6), updated_at=days_ago(4))
    Series.objects.filter(pk=series.pk).update(updated_at=days_ago(30))
    # Saved long ago, scheduled, and live since yesterday: it changed yesterday for readers.
    went_live = EssayFactory(
        title="Went live", series=series, authors=[AuthorFactory(name="Late Author")]
    )
    Essay.objects.filter(pk=went_live.pk).update(updated_at=days_ago(20), published_at=days_ago(1))

    lastmod = urls(client)

    assert lastmod[f"{SITE_URL}/essays/mutualism-an-introduction/"] == day(days_ago(10))
    assert lastmod[f"{SITE_URL}/essays/went-live/"] == day(days_ago(1))
    # A series page changes with its newest essay; an author's and a topic's page too.
    assert lastmod[f"{SITE_URL}/series/mutualism/"] == day(days_ago(1))
    assert lastmod[f"{SITE_URL}/authors/ben-williams/"] == day(days_ago(4))
    assert lastmod[f"{SITE_URL}/authors/richard-todd/"] == day(days_ago(10))
    assert lastmod[f"{SITE_URL}/topics/co-operatives/"] == day(days_ago(10))
    housing = Series.objects.get(slug="housing")
    assert lastmod[f"{SITE_URL}/topics/housing/"] == day(housing.updated_at)


def test_a_big_section_is_split_into_pages_the_index_lists(client, content, monkeypatch):
    monkeypatch.setattr(sitemaps.EssaySitemap, "limit", 1)

    sections = index(client)

    assert f"{SITE_URL}/sitemap-essays.xml?p=2" in sections
    assert set(urls(client)) >= {
        f"{SITE_URL}/essays/mutualism-an-introduction/",
        f"{SITE_URL}/essays/austerity-after/",
    }


@pytest.mark.parametrize("url", ["/sitemap.xml", *[f"/sitemap-{s}.xml" for s in SECTIONS]])
def test_sitemap_query_count_does_not_grow_with_content(client, django_assert_max_num_queries, url):
    author = AuthorFactory()
    EssayFactory(authors=[author], topics=["One"], series=SeriesFactory())
    with CaptureQueriesContext(connection) as few:
        parse(client, url)

    for number in range(30):
        series = SeriesFactory()
        series.topics.set([f"Series topic {number}"])
        essay = EssayFactory(series=series, authors=[AuthorFactory(), author])
        essay.topics.set([f"Topic {number}", "One"])
    with django_assert_max_num_queries(len(few)):
        parse(client, url)
    assert len(few) <= len(SECTIONS) * 2 + 1  # and the page cache's content version


def test_robots_txt_points_to_the_sitemap_with_an_absolute_url(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in lines


@pytest.mark.parametrize(
    "url", ["/sitemap-nothing.xml", "/sitemap-essays.xml?p=2", "/sitemap-essays.xml?p=two"]
)
def test_an_unknown_section_or_page_is_a_404(client, content, url):
    assert client.get(url).status_code == 404


def test_a_section_page_says_when_it_last_changed_and_asks_not_to_be_indexed(
    client, content, page_cache_off
):
    # The view's own header: a cached page says when the content last changed anywhere.
    Essay.objects.update(updated_at=days_ago(3))
    newest = days_ago(1) + dt.timedelta(hours=1)
    Essay.objects.filter(pk=content["essay"].pk).update(updated_at=newest)

    response = client.get("/sitemap-essays.xml")

    assert response["Last-Modified"] == http_date(newest.timestamp())
    assert response["X-Robots-Tag"] == "noindex, noodp, noarchive"
    assert (
        client.get(
            "/sitemap-essays.xml", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]
        ).status_code
        == 304
    )


def test_a_location_is_escaped_for_xml(client, settings):
    settings.SITE_URL = "https://thinktank.example/a&b"
    EssayFactory(title="Mutualism")

    locations = [loc.text for loc in parse(client, "/sitemap-essays.xml").iter(f"{NS}loc")]

    assert locations == [f"{SITE_URL}/a&b/essays/mutualism/"]
