"""Database down: a real production server (gunicorn) answers 503 in the site's design.

The server runs as the README deploys it (debug off, HTTPS behind a proxy that sets
X-Forwarded-Proto, collected static files) with DATABASE_URL pointing at a loopback port
that nobody listens on, so every connection attempt is refused at once; a second server
points at a port that accepts connections and never answers (a hung database), which only
the connect timeout can cut short.
"""

import json
import re
import socket
import time

import pytest

from tests.thinktank.test_production_settings import (
    collect_static,
    database_url,
    production_env,
    reserved_closed_port,
    running_gunicorn,
)

# The servers started here use the test database: the mark makes pytest-django create it.
pytestmark = pytest.mark.django_db

HTTPS = {"X-Forwarded-Proto": "https"}
PAGES = [
    "/",
    "/essays/the-new-wave-of-mutuality/",
    "/series/mutualism/",
    "/ideas/?topic=co-operatives",
    "/search/?q=mutual",
    "/newsletter/",
    "/no-such-page/",
]
# What a 503 page must never show: a traceback, the error, or where the database lives.
LEAKS = re.compile(r"Traceback|File \"|OperationalError|psycopg|refused|postgres|5432", re.I)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, django_db_setup):
    return collect_static(tmp_path_factory, database_url())


@pytest.fixture(scope="module")
def down_server(tmp_path_factory, static_root):
    """A production server whose database refuses every connection."""
    with reserved_closed_port() as closed:
        port = closed.getsockname()[1]
        env = production_env(
            f"postgres://postgres@127.0.0.1:{port}/thinktank", STATIC_ROOT=str(static_root)
        )
        with running_gunicorn(env, tmp_path_factory.mktemp("down")) as server:
            server.get("/", headers=HTTPS)  # warm the worker: URLs and templates load once
            yield server


@pytest.fixture(scope="module")
def hung_database_server(tmp_path_factory, static_root):
    """A production server whose database accepts the connection and then never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)  # the kernel completes handshakes; nothing ever reads or replies
        port = hung.getsockname()[1]
        env = production_env(
            f"postgres://postgres@127.0.0.1:{port}/thinktank", STATIC_ROOT=str(static_root)
        )
        with running_gunicorn(env, tmp_path_factory.mktemp("hung")) as server:
            yield server


@pytest.fixture(scope="module")
def healthy_server(tmp_path_factory, static_root):
    env = production_env(database_url(), STATIC_ROOT=str(static_root))
    with running_gunicorn(env, tmp_path_factory.mktemp("healthy")) as server:
        yield server


def timed_get(server, path, **kwargs):
    started = time.monotonic()
    status, headers, body = server.get(path, **kwargs)
    return status, headers, body.decode(), time.monotonic() - started


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_503_in_the_site_design_within_two_seconds(down_server, path):
    status, headers, body, elapsed = timed_get(down_server, path, headers=HTTPS)

    assert status == 503, body[:500]
    assert elapsed < 2.0, f"answered in {elapsed:.2f} s"
    assert int(headers["Retry-After"]) > 0
    assert headers["Content-Type"].startswith("text/html")
    assert "Policy Network" in body
    assert "back shortly" in body
    assert 'class="site-header"' in body
    assert not LEAKS.search(body), LEAKS.search(body)


def test_the_503_page_keeps_the_security_headers_and_request_id(down_server):
    status, headers, _, _ = timed_get(
        down_server, "/", headers={**HTTPS, "X-Request-ID": "outage-check-0001"}
    )

    assert status == 503
    assert headers["X-Request-ID"] == "outage-check-0001"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert int(headers["Strict-Transport-Security"].split("max-age=")[1].split(";")[0]) >= (
        31_536_000
    )


def test_the_503_page_is_styled_even_with_the_database_down(down_server):
    """Its stylesheet is served by whitenoise, which needs no database."""
    _, _, body, _ = timed_get(down_server, "/", headers=HTTPS)
    [stylesheet] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', body)

    status, headers, css = down_server.get(stylesheet, headers=HTTPS)

    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", stylesheet)
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert b".site-header" in css


def test_healthz_answers_503_json_naming_the_database(down_server):
    status, headers, body, elapsed = timed_get(down_server, "/healthz")

    assert status == 503
    assert elapsed < 2.0, f"answered in {elapsed:.2f} s"
    assert headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert data["status"] != "ok"
    assert data["database"] not in {"ok", "", None}
    assert "no-cache" in headers.get("Cache-Control", "") or "max-age=0" in headers.get(
        "Cache-Control", ""
    )
    assert not LEAKS.search(body)


def test_the_outage_is_logged_as_json_with_its_traceback_and_request_id(down_server):
    status, _, _, _ = timed_get(
        down_server, "/ideas/", headers={**HTTPS, "X-Request-ID": "outage-log-check-42"}
    )
    assert status == 503

    lines = []
    deadline = time.monotonic() + 5  # the log line may land a moment after the response
    while not lines and time.monotonic() < deadline:
        records = [json.loads(line) for line in down_server.stdout().splitlines() if line]
        lines = [r for r in records if r.get("request_id") == "outage-log-check-42"]
        time.sleep(0.05)

    errors = [r for r in lines if r["level"] == "ERROR"]
    assert errors, lines
    assert errors[0]["logger"] == "django.request"
    assert "/ideas/" in errors[0]["message"]
    assert "Traceback" in errors[0]["exc_info"]
    assert "OperationalError" in errors[0]["exc_info"]


def test_a_hung_database_still_gets_a_503_thanks_to_the_connect_timeout(hung_database_server):
    """Without a connect timeout the request would wait for the client's 15 s to run out."""
    status, headers, body = hung_database_server.get("/", headers=HTTPS, timeout=15)

    assert status == 503
    assert "back shortly" in body.decode()
    assert int(headers["Retry-After"]) > 0


def test_a_hung_database_makes_healthz_answer_503(hung_database_server):
    status, _, body = hung_database_server.get("/healthz", timeout=15)

    assert status == 503
    assert json.loads(body)["status"] != "ok"


def test_healthz_answers_200_json_when_the_database_is_up(healthy_server):
    status, headers, body = healthy_server.get("/healthz")

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "database": "ok"}


def test_pages_answer_200_when_the_database_is_up(healthy_server):
    status, _, body = healthy_server.get("/", headers=HTTPS)

    assert status == 200
    assert "Policy Network" in body.decode()
