"""The page cache: readers get cached pages, never stale ones, and nobody's private bits.

Each test uses the cache the site is configured with (local memory), and the invalidation
tests run again on a real Redis (127.0.0.1:6379) when one answers.
"""

import datetime as dt
import gzip
import io
import time
import uuid

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from essays.models import Essay
from series.models import SiteSettings, Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from thinktank import pagecache
from thinktank.models import ContentVersion

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/15"
# What the security middleware adds to a page, which a cached copy must carry too.
SECURITY_HEADERS = [
    "Content-Security-Policy",
    "Permissions-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
]


def redis_answers():
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """Run the test on the default local-memory cache, then on Redis."""
    if request.param == "redis":
        if not redis_answers():
            pytest.fail("Redis is not answering on 127.0.0.1:6379: the suite needs it")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                # Its own keys: clearing would flush the database other test runs share.
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    return request.param


@pytest.fixture
def content():
    author = AuthorFactory(name="Ada Author")
    co_author = AuthorFactory(name="Cy Coauthor")
    series = SeriesFactory(title="The series")
    essay = EssayFactory(
        title="Original title",
        series=series,
        series_position=1,
        authors=[author, co_author],
        topics=["Economy"],
    )
    return essay


def pages_showing(essay):
    return {
        "essay": essay.get_absolute_url(),
        "series": essay.series.get_absolute_url(),
        "first author": essay.byline_authors[0].get_absolute_url(),
        "second author": essay.byline_authors[1].get_absolute_url(),
        "home": "/",
        # (/ideas/ shows the series' card for an essay in a series: see the standalone test)
        "topic": "/topics/economy/",
        "site feed": "/feeds/essays/",
        "series feed": f"{essay.series.get_absolute_url()}feed/",
        "author feed": f"{essay.byline_authors[0].get_absolute_url()}feed/",
        "topic feed": "/topics/economy/feed/",
    }


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def warm(client, urls):
    """Fetch every page twice; return how many queries each second (cached) fetch made."""
    for url in urls:
        assert client.get(url).status_code == 200, url
    return {url: queries_for(client, url)[1] for url in urls}


def test_a_cached_page_costs_no_query_and_is_the_same_page(cache_backend, content):
    client = Client()
    url = content.get_absolute_url()
    first, first_queries = queries_for(client, url)
    second, second_queries = queries_for(client, url)

    assert first_queries > 1
    assert second_queries == 0  # the clock says nothing changed; the page is in the cache
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Request-ID"] != first["X-Request-ID"]


def test_a_cached_page_carries_every_security_header_of_a_rendered_one(settings, content):
    # The cache answers before the security middleware runs: the headers are stored.
    settings.SECURE_HSTS_SECONDS = 3600
    client = Client()
    url = content.get_absolute_url()
    rendered = client.get(url, secure=True)
    cached = client.get(url, secure=True)
    plain_http = client.get(url)

    assert (rendered["X-Cache"], cached["X-Cache"], plain_http["X-Cache"]) == (
        "miss",
        "hit",
        "miss",
    )
    for header in ["Strict-Transport-Security", *SECURITY_HEADERS]:
        assert cached[header] == rendered[header], header
    assert "Strict-Transport-Security" not in plain_http  # never sent over plain HTTP


def test_editing_an_essay_shows_on_every_page_that_shows_it_at_the_next_request(
    cache_backend, content
):
    client = Client()
    urls = pages_showing(content)
    assert set(warm(client, urls.values()).values()) == {0}, "all cached before the edit"

    content.title = "A corrected title"
    content.save()

    for name, url in urls.items():
        page = client.get(url).content.decode()
        assert "A corrected title" in page, name
        assert "Original title" not in page, name


def test_editing_a_standalone_essay_shows_on_the_listing_at_the_next_request(cache_backend):
    client = Client()
    essay = EssayFactory(title="Standalone title", topics=["Economy"])
    warm(client, ["/ideas/", "/ideas/?topic=economy", "/search/?q=standalone"])

    essay.title = "Standalone retitled"
    essay.save()

    for url in ["/ideas/", "/ideas/?topic=economy", "/search/?q=standalone"]:
        assert "Standalone retitled" in client.get(url).content.decode(), url


def test_renaming_an_author_shows_on_their_essays_at_the_next_request(cache_backend, content):
    client = Client()
    warm(client, [content.get_absolute_url(), "/ideas/"])
    author = content.byline_authors[0]
    author.name = "Ada Renamed"
    author.save()

    assert "Ada Renamed" in client.get(content.get_absolute_url()).content.decode()
    assert "Ada Renamed" in client.get("/ideas/").content.decode()


def test_unpublishing_removes_the_essay_from_every_page_at_the_next_request(cache_backend, content):
    client = Client()
    urls = pages_showing(content)
    warm(client, [*urls.values(), "/sitemap-essays.xml"])
    assert content.get_absolute_url() in client.get("/sitemap-essays.xml").content.decode()

    content.status = Status.DRAFT
    content.save()

    assert content.get_absolute_url() not in client.get("/sitemap-essays.xml").content.decode()

    assert client.get(urls.pop("essay")).status_code == 404
    for name, url in urls.items():
        response = client.get(url)
        assert "Original title" not in response.content.decode(), name


def test_deleting_an_essay_removes_it_at_the_next_request(cache_backend, content):
    client = Client()
    urls = pages_showing(content)
    warm(client, urls.values())

    Essay.objects.filter(pk=content.pk).delete()

    assert client.get(urls.pop("essay")).status_code == 404
    for name, url in urls.items():
        assert "Original title" not in client.get(url).content.decode(), name


def test_publishing_a_draft_shows_it_at_the_next_request(cache_backend, content):
    client = Client()
    draft = EssayFactory(title="Fresh draft", status=Status.DRAFT, published_at=None)
    warm(client, ["/", "/ideas/", "/feeds/essays/"])
    assert client.get(draft.get_absolute_url()).status_code == 404

    draft.status = Status.PUBLISHED
    draft.save()

    for url in ["/", "/ideas/", "/feeds/essays/", draft.get_absolute_url()]:
        assert "Fresh draft" in client.get(url).content.decode(), url


def test_changing_topics_and_site_settings_shows_at_the_next_request(cache_backend, content):
    client = Client()
    warm(client, [content.get_absolute_url(), "/"])

    content.topics.add("Housing")
    site = SiteSettings.load()
    site.name = "Renamed Network"
    site.save()

    page = client.get(content.get_absolute_url()).content.decode()
    assert "Housing" in page
    assert "Renamed Network" in page
    assert "Renamed Network" in client.get("/").content.decode()


def test_a_scheduled_essay_appears_when_its_time_comes_without_any_save(cache_backend, content):
    client = Client()
    going_live = timezone.now() + dt.timedelta(seconds=1)
    scheduled = EssayFactory(title="Scheduled essay", published_at=going_live)
    urls = ["/", "/ideas/", "/feeds/essays/"]
    for url in urls:
        assert "Scheduled essay" not in client.get(url).content.decode()
    assert set(warm(client, urls).values()) == {0}, "cached while the essay is scheduled"

    # Wait for the database's clock to pass the publication time: nothing else happens.
    while not Essay.objects.published().filter(pk=scheduled.pk).exists():
        time.sleep(0.05)
    while pagecache.database_now_us() < ContentVersion.objects.get().next_change_at:
        time.sleep(0.05)

    for url in [*urls, scheduled.get_absolute_url()]:
        assert "Scheduled essay" in client.get(url).content.decode(), url


@pytest.mark.parametrize("app_clock_off_by", [-60, 60], ids=["behind", "ahead"])
def test_a_scheduled_essay_goes_live_by_the_database_clock_whatever_the_app_servers_says(
    on_postgres, cache_backend, settings, monkeypatch, content, app_clock_off_by
):
    settings.PAGE_CACHE_CLOCK_TRUST = 0  # each request reads the version row, as in time
    real_now_us = pagecache.now_us
    monkeypatch.setattr(pagecache, "now_us", lambda: real_now_us() + app_clock_off_by * 10**6)
    # Measured under the false clock: put back the true offset for the tests after this one.
    monkeypatch.setattr(pagecache, "_database_ahead_us", None)
    client = Client()
    scheduled = EssayFactory(
        title="Scheduled essay", published_at=timezone.now() + dt.timedelta(seconds=2)
    )
    for url in ("/", "/ideas/"):
        client.get(url)
        response = client.get(url)
        assert response["X-Cache"] == "hit", "the version moved on before the essay is live"
        assert "Scheduled essay" not in response.content.decode()

    while not Essay.objects.published().filter(pk=scheduled.pk).exists():
        time.sleep(0.05)

    for url in ("/", "/ideas/"):
        assert "Scheduled essay" in client.get(url).content.decode(), url


def test_bulk_changes_that_send_no_signal_are_counted_by_content_changed(content):
    client = Client()
    warm(client, [content.get_absolute_url()])
    Essay.objects.filter(pk=content.pk).update(title="Bulk-updated title")

    pagecache.content_changed()

    assert "Bulk-updated title" in client.get(content.get_absolute_url()).content.decode()


def test_staff_are_never_served_from_the_cache_and_their_previews_are_never_stored(
    client, staff_user, content
):
    draft = EssayFactory(title="Secret draft", status=Status.DRAFT, published_at=None)
    reader = Client()
    warm(reader, [content.get_absolute_url()])

    client.force_login(staff_user)
    preview = client.get(draft.get_absolute_url())
    published, queries = queries_for(client, content.get_absolute_url())

    assert preview.status_code == 200
    assert "no-store" in preview["Cache-Control"]
    assert queries > 1, "staff get a fresh page"
    assert "private" in published["Cache-Control"]
    assert reader.get(draft.get_absolute_url()).status_code == 404


def test_cached_pages_carry_no_cookie_and_no_csrf_token(content):
    first_reader, second_reader = Client(), Client()
    for url in ["/", content.get_absolute_url(), "/newsletter/"]:
        first = first_reader.get(url)
        second = second_reader.get(url)
        assert not first.cookies, url
        assert not second.cookies, url
        assert "csrfmiddlewaretoken" not in second.content.decode(), url
        assert first.content == second.content, url


def test_public_pages_answer_conditional_requests_with_304(content):
    client = Client()
    url = content.get_absolute_url()
    response = client.get(url)
    assert response["Cache-Control"] == "public, no-cache"

    by_etag = client.get(url, headers={"If-None-Match": response["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": response["Last-Modified"]})

    assert by_etag.status_code == 304
    assert by_etag["ETag"] == response["ETag"]
    assert by_etag.content == b""
    assert by_date.status_code == 304

    content.title = "Changed"
    content.save()
    changed = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != response["ETag"]


def test_feeds_answer_conditional_requests_with_304(content):
    client = Client()
    response = client.get("/feeds/essays/")
    assert response.status_code == 200
    again = client.get("/feeds/essays/", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_with_the_cache_off_pages_are_rendered_every_time_and_still_answer_304(settings, content):
    settings.PAGE_CACHE = False
    client = Client()
    url = content.get_absolute_url()
    first, first_queries = queries_for(client, url)
    _, second_queries = queries_for(client, url)

    assert second_queries == first_queries > 1
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304


def test_not_found_pages_are_not_cached(content):
    client = Client()
    queries_for(client, "/essays/no-such-essay/")
    response, queries = queries_for(client, "/essays/no-such-essay/")
    assert response.status_code == 404
    assert queries > 1
    assert "ETag" not in response


def all_url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from all_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_is_declared_public_or_private_for_the_cache():
    names = set(all_url_names())
    assert names, "found no URLs"
    undeclared = names - pagecache.PUBLIC_VIEWS - pagecache.PRIVATE_VIEWS
    assert not undeclared, f"declare these in thinktank/pagecache.py: {sorted(undeclared)}"
    assert not pagecache.PUBLIC_VIEWS & pagecache.PRIVATE_VIEWS


def test_cached_pages_are_gzipped_for_readers_who_accept_it_and_plain_for_others(content):
    url = content.get_absolute_url()
    plain_reader, gzip_reader = Client(), Client(headers={"Accept-Encoding": "gzip, br"})
    rendered = plain_reader.get(url)
    plain = plain_reader.get(url)
    zipped = gzip_reader.get(url)

    assert plain["X-Cache"] == zipped["X-Cache"] == "hit"
    assert "Content-Encoding" not in plain
    assert plain.content == rendered.content
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == rendered.content
    assert len(zipped.content) < len(rendered.content) / 2
    assert int(zipped["Content-Length"]) == len(zipped.content)
    assert int(plain["Content-Length"]) == len(plain.content)
    for response in (rendered, plain, zipped):
        assert "Accept-Encoding" in response["Vary"]
    assert zipped["ETag"] == plain["ETag"] == rendered["ETag"]


def test_the_cache_holds_pages_compressed(content):
    url = content.get_absolute_url()
    page = Client().get(url).content
    # Local memory keys read ":<version>:<our key>".
    [key] = [key.split(":", 2)[2] for key in caches["default"]._cache if ":page" in key]
    stored = caches["default"].get(key)

    assert stored is not None
    _status, _headers, compressed = stored
    assert gzip.decompress(compressed) == page
    assert len(compressed) < len(page) / 2


def test_bulk_generated_content_shows_at_the_next_request(content):
    client = Client()
    warm(client, ["/ideas/", "/feeds/essays/"])
    before = client.get("/feeds/essays/").content

    call_command("generate_content", essays=3, words=50, stdout=io.StringIO())

    assert client.get("/feeds/essays/").content != before
    assert client.get("/ideas/")["X-Cache"] == "miss"


# Changes made outside Django ---------------------------------------------------------------


def content_tables():
    return {
        model._meta.db_table
        for label in pagecache.CONTENT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


@pytest.fixture
def on_postgres():
    """The triggers are PostgreSQL's (SQLite serves one process, which the signals cover)."""
    assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL)"


def test_every_content_table_moves_the_version_on_when_changed_outside_django(on_postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'thinktank_content_changed'"
        )
        triggered = {table for (table,) in cursor.fetchall()}

    # A new content model needs a migration giving its table the trigger (see 0002).
    assert content_tables() - triggered == set()


def test_an_edit_made_in_sql_is_served_once_the_clock_is_read_again(on_postgres, settings, content):
    settings.PAGE_CACHE_CLOCK_TRUST = 0  # as every process does within that many seconds
    client = Client()
    url = content.get_absolute_url()
    warm(client, [url])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE essays_essay SET title = %s WHERE id = %s", ["Edited in psql", content.pk]
        )

    response = client.get(url)

    assert response["X-Cache"] == "miss"
    assert "Edited in psql" in response.content.decode()


def test_a_publication_scheduled_in_sql_is_known_to_the_clock(on_postgres, content):
    at = timezone.now() + dt.timedelta(hours=3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE essays_essay SET published_at = %s WHERE id = %s", [at, content.pk])

    assert abs(ContentVersion.objects.get().next_change_at - at.timestamp() * 1_000_000) <= 1
