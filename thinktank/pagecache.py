"""Whole-page cache for readers that is never stale, and conditional GET for public pages.

A public page is cached under the content version it was rendered at
(`thinktank.models.ContentVersion`). Every change to content (a save, a delete, a topic
added, a redirect) adds one to the version in the same transaction, so the next request
looks under a new key: no reader sees a page older than the database. A scheduled item
going live is a change too: the version row knows when the next one is due. On
PostgreSQL, triggers (migration 0002) count changes made outside Django as well.

What is cached: responses of the views named in PUBLIC_VIEWS, to GET requests without a
session, answered 200 with no cookie set and no CSP nonce used. Staff (who have a session)
and previews are never served from the cache nor stored in it. Public pages carry an ETag
and Last-Modified and answer conditional requests with 304, cached or not.
"""

import gzip
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from functools import cache, cached_property
from http import HTTPStatus
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Min
from django.db.models.functions import Now
from django.http import HttpResponse
from django.http.cookie import parse_cookie
from django.middleware.csp import get_nonce
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

from thinktank.middleware import request_id_for
from thinktank.models import ContentVersion

logger = logging.getLogger(__name__)

# The apps whose rows public pages show; a change to any of their models is a change to
# the site. (The newsletter's subscribers are not on any page.)
CONTENT_APPS = frozenset({"series", "essays", "taggit", "redirects", "sites"})
# Pages that are the same for every reader. A test checks every URL is listed here or in
# PRIVATE_VIEWS, so a new view is cached only when someone decides it may be.
PUBLIC_VIEWS = frozenset(
    {
        "home",
        "robots",
        "sitemap",
        "sitemap-section",
        "essays:ideas",
        "essays:detail",
        "essays:cite_bib",
        "essays:cite_ris",
        "essays:author",
        "essays:topic",
        "essays:search",
        "essays:feed",
        "essays:series_feed",
        "essays:author_feed",
        "essays:topic_feed",
        "series:detail",
        "newsletter:signup",
        "newsletter:check_inbox",
        "newsletter:welcome",
    }
)
PRIVATE_VIEWS = frozenset(
    {
        "healthz",  # says whether the database answers now
        "newsletter:confirm",  # per subscriber
        "newsletter:unsubscribe",
    }
)
# In every key: entries stored by an older release (in a shared cache) are never read.
ENTRY_FORMAT = 2
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
BOOTED_AT = time.time_ns() // 1000  # a deploy may change every page: nothing is older


def now_us():
    return time.time_ns() // 1000


@dataclass(frozen=True)
class State:
    version: int
    changed_at: int
    next_change_at: int | None

    @property
    def last_modified(self):
        return max(self.changed_at, BOOTED_AT) // 1_000_000

    @cached_property
    def last_modified_header(self):
        return http_date(self.last_modified)


# The database's clock, in µs, as `Now()` reads it there: publication times are judged on
# it. SQLite runs in this process, on this process's clock.
_DATABASE_NOW = {"postgresql": "(EXTRACT(EPOCH FROM STATEMENT_TIMESTAMP()) * 1000000)::bigint"}


@cache
def read_state_sql(vendor):
    now = _DATABASE_NOW.get(vendor, "NULL")
    table = ContentVersion._meta.db_table
    return f"SELECT version, changed_at, next_change_at, {now} FROM {table} WHERE id = 1"  # noqa: S608


# How far the database's clock runs ahead of this process's (µs; negative when behind),
# measured at each read of the version row. A scheduled item goes live when the database's
# clock passes its time: judged on a clock running behind, pages would stay stale for the
# difference; judged on one running ahead, the version would move on before the item is
# live, request after request, until the database caught up.
_database_ahead_us = None


def read_state():
    """Return the content version, with one plain query (this runs on every cached hit)."""
    global _database_ahead_us
    with connection.cursor() as cursor:
        sent = now_us()
        cursor.execute(read_state_sql(connection.vendor))
        row = cursor.fetchone()
        answered = now_us()
    if row is None:  # the row was deleted (a flushed database): start again
        ContentVersion.objects.get_or_create(pk=1, defaults={"changed_at": now_us()})
        return read_state()
    *fields, database_now = row
    _database_ahead_us = 0 if database_now is None else database_now - (sent + answered) // 2
    return State(*fields)


def database_now_us():
    """Return the time on the database's clock (µs), as this process last measured it."""
    if _database_ahead_us is None:  # this process took the version from a shared cache
        read_state()
    return now_us() + _database_ahead_us


class FileClock:
    """The content version for the processes of one machine, which share no memory cache.

    A change replaces a small file (new inode); a process reads the version from the
    database again only when the file changed, so a cached page costs a stat(), not a query.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.memo = None  # (the file's stamp, the state, when it was read)

    def stamp(self):
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns

    def current(self):
        stamp = self.stamp()  # before the query: a change after it shows in the next stamp
        memo = self.memo
        if (
            memo is not None
            and stamp is not None
            and memo[0] == stamp
            and time.monotonic() - memo[2] < settings.PAGE_CACHE_CLOCK_TRUST
        ):
            return memo[1]
        state = read_state()
        self.memo = (stamp, state, time.monotonic())
        return state

    def forget(self):
        self.memo = None

    def publish(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_text(str(now_us()))
            temporary.replace(self.path)
        except OSError:
            # Other processes notice within PAGE_CACHE_CLOCK_TRUST seconds instead.
            logger.exception("Could not write the page cache clock %s", self.path)


class CacheClock:
    """The content version for app servers sharing a cache (Redis): kept in that cache."""

    key = "pagecache:clock"

    def __init__(self, cache):
        self.cache = cache

    def current(self):
        state = self.cache.get(self.key)
        if state is None:
            state = read_state()
            # add, not set: a change published meanwhile must win over this older read.
            self.cache.add(self.key, state, settings.PAGE_CACHE_CLOCK_TRUST)
        return state

    def forget(self):
        self.cache.delete(self.key)

    def publish(self):
        self.cache.set(self.key, read_state(), settings.PAGE_CACHE_CLOCK_TRUST)


_file_clocks = {}


def clock():
    """Return how this process learns the content version cheaply (see the two clocks)."""
    cache = caches["default"]
    if isinstance(cache, LocMemCache):
        path = str(settings.PAGE_CACHE_CLOCK_FILE)
        if path not in _file_clocks:
            _file_clocks[path] = FileClock(path)
        return _file_clocks[path]
    return CacheClock(cache)


def current_state():
    """Return the content version, first counting a scheduled publication that came due."""
    state = clock().current()
    if state.next_change_at is not None and database_now_us() >= state.next_change_at:
        # Only the first request to see it due moves the version on.
        ContentVersion.objects.filter(pk=1, version=state.version).update(
            version=F("version") + 1,
            changed_at=now_us(),
            next_change_at=next_scheduled_publication(),
        )
        announce_change()
        state = read_state()
    return state


def announce_change():
    """Tell this process now, and every process once the change is committed."""
    current_clock = clock()
    current_clock.forget()
    transaction.on_commit(current_clock.publish)


def next_scheduled_publication():
    """Return when the earliest scheduled series or essay goes live (µs), or None."""
    from series.models import Publishable, Status

    times = [
        model.objects.filter(status=Status.PUBLISHED, published_at__gt=Now()).aggregate(
            at=Min("published_at")
        )["at"]
        for model in apps.get_models()
        if issubclass(model, Publishable)
    ]
    times = [at for at in times if at is not None]
    return int(min(times).timestamp() * 1_000_000) if times else None


def content_changed():
    """Make every cached page stale: call after a change no model signal reports
    (bulk inserts, queryset updates). Runs in the caller's transaction."""
    updated = ContentVersion.objects.filter(pk=1).update(
        version=F("version") + 1,
        changed_at=now_us(),
        next_change_at=next_scheduled_publication(),
    )
    if not updated:
        ContentVersion.objects.get_or_create(
            pk=1,
            defaults={"changed_at": now_us(), "next_change_at": next_scheduled_publication()},
        )
    announce_change()


def content_signal_receiver(sender, raw=False, action=None, **kwargs):
    """Count a save, delete or many-to-many change of any content model as a change."""
    if action is not None and not action.startswith("post_"):
        return
    if sender.__module__ == "__fake__":
        return  # a migration's historical model: the tables may not all exist yet
    if sender._meta.app_label in CONTENT_APPS:
        content_changed()


def lookup(meta):
    """Return (state, key, stored page or None) for a request's WSGI environ (`META`).

    (None, None, None) when the cache does not answer it: the cache is off, it is not a
    GET, the reader has a session, or the database cannot say the content version.
    """
    if (
        not settings.PAGE_CACHE
        or meta.get("REQUEST_METHOD") != "GET"
        or has_private_cookie(meta.get("HTTP_COOKIE"))
    ):
        return None, None, None
    try:
        state = current_state()
    except DatabaseError:
        return None, None, None  # the view meets the same error, and answers 503
    key = page_key(meta, state)
    return state, key, caches["default"].get(key)


def has_private_cookie(header):
    if not header:
        return False
    return not {settings.SESSION_COOKIE_NAME, "messages"}.isdisjoint(parse_cookie(header))


def page_key(meta, state):
    """The key of the page a request asks for, at the content version `state`.

    From the request as it arrived. Only pages Django served with 200 are stored, and it
    refuses a host not in ALLOWED_HOSTS first, so a key of another host is never filled.
    """
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in meta:
        host = meta["HTTP_X_FORWARDED_HOST"]
    else:
        host = meta.get("HTTP_HOST") or f"{meta.get('SERVER_NAME')}:{meta.get('SERVER_PORT')}"
    url = (
        f"{request_scheme(meta)}://{host}{meta.get('SCRIPT_NAME', '')}"
        f"{meta.get('PATH_INFO', '')}?{meta.get('QUERY_STRING', '')}"
    )
    digest = hashlib.md5(url.encode(errors="surrogateescape"), usedforsecurity=False).hexdigest()
    # changed_at too: should the version ever restart (a restored database), the keys of
    # pages cached before cannot come back.
    return f"page{ENTRY_FORMAT}:{state.version}.{state.changed_at}:{digest}"


def request_scheme(meta):
    """http or https, as Django's `request.scheme` says (behind a proxy, from its header)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        if (value := meta.get(header)) is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return meta.get("wsgi.url_scheme", "http")


class PageCacheApp:
    """The WSGI application, answering readers' requests for stored pages before Django.

    A hit is most of a burst's traffic. Answered here it skips building Django's request
    and response and its request signals, and costs a quarter of a hit in the middleware.
    Everything else goes on to Django, with what was looked up, for the middleware: a miss
    (it renders and stores the page), and conditional requests (it answers them with 304).
    """

    def __init__(self, application):
        self.application = application
        prepare_clock()

    def __call__(self, environ, start_response):
        if "HTTP_IF_NONE_MATCH" not in environ and "HTTP_IF_MODIFIED_SINCE" not in environ:
            state, key, entry = lookup(environ)
            if entry is not None:
                status, headers, compressed = entry
                response_headers = [*headers.values()]
                if ACCEPTS_GZIP.search(environ.get("HTTP_ACCEPT_ENCODING", "")):
                    body = compressed
                    response_headers.append(("Content-Encoding", "gzip"))
                else:
                    body = gzip.decompress(compressed)
                response_headers += [
                    ("Content-Length", str(len(body))),
                    ("X-Cache", "hit"),
                    ("Last-Modified", state.last_modified_header),
                    ("X-Request-ID", request_id_for(environ)),
                ]
                start_response(f"{status} {HTTPStatus(status).phrase}", response_headers)
                return [body]
            environ[LOOKED_UP] = (state, key)
        return self.application(environ, start_response)


LOOKED_UP = "thinktank.page_cache"  # the environ key of a lookup PageCacheApp made


def prepare_clock():
    if isinstance(current_clock := clock(), FileClock) and current_clock.stamp() is None:
        current_clock.publish()  # until the file exists, every hit would ask the database


class PageCacheMiddleware:
    """Serve readers' public pages from the cache; store them; answer 304 when unchanged.

    It sits first but for the request id: a hit costs a look at the clock (a stat, or a
    cache read) and one cache read, and skips the rest. Stored pages keep the headers the
    security middleware gave them, under a key that includes the scheme (HSTS only over
    HTTPS). Static files miss, and go on to WhiteNoise. In production `PageCacheApp`
    answers most hits before Django; those it leaves come here.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.cache = caches["default"]
        self.timeout = settings.PAGE_CACHE_SECONDS
        prepare_clock()

    def __call__(self, request):
        # Looked up before the URL is resolved, to keep hits cheap: only public pages are
        # ever stored, so another URL simply misses.
        if LOOKED_UP in request.META:
            (state, key), entry = request.META[LOOKED_UP], None  # PageCacheApp's miss
        else:
            state, key, entry = lookup(request.META)
        if entry is not None:
            return self.serve(request, *entry, state=state, label="hit")
        response = self.get_response(request)
        if not self.is_public(request, response):
            return response
        response.headers.setdefault("Cache-Control", "public, no-cache")
        patch_vary_headers(response, ["Accept-Encoding"])
        # Weak: the gzipped and plain bodies are the same page.
        digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        response["ETag"] = f'W/"{digest}"'
        if key is None:
            return self.conditional(request, response, state)
        # Stored compressed: a tenth of the memory, and most readers take it as it is.
        # (Pages carry no secret, such as a CSRF token, for compression to leak.)
        skipped = {"last-modified", "content-length", "x-request-id"}
        headers = {
            lower: header
            for lower, header in response.headers._store.items()
            if lower not in skipped
        }
        entry = (response.status_code, headers, gzip.compress(response.content, mtime=0))
        self.cache.set(key, entry, self.timeout)
        return self.serve(request, *entry, state=state, label="miss")

    def serve(self, request, status, headers, compressed, *, state, label):
        """Answer with a stored page: gzipped when the reader accepts it.

        `headers` are a response's own, as ResponseHeaders keeps them (lower-cased name:
        (name, value)), checked and encoded when the page was stored: copied as they are,
        for a hit costs little more than setting a dozen headers one by one would.
        """
        if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            response = HttpResponse(compressed, status=status)
            response.headers._store.update(headers)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(compressed), status=status)
            response.headers._store.update(headers)
        response["Content-Length"] = str(len(response.content))
        response["X-Cache"] = label
        return self.conditional(request, response, state)

    @staticmethod
    def is_public(request, response):
        cache_control = response.get("Cache-Control", "")
        match = request.resolver_match
        return (
            match is not None
            and match.view_name in PUBLIC_VIEWS
            and request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not get_nonce(request)  # a nonce must never be served twice
            and "private" not in cache_control
            and "no-store" not in cache_control
        )

    @staticmethod
    def conditional(request, response, state):
        if state is not None:
            last_modified = state.last_modified
            response["Last-Modified"] = state.last_modified_header
        else:  # the cache is off or not for this reader: the view's own, if it said
            last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
        return get_conditional_response(
            request, etag=response["ETag"], last_modified=last_modified, response=response
        )
