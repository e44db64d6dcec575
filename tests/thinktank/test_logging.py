"""Logs: one JSON object a line on stdout, each carrying the request id sent back in X-Request-ID.

The in-process tests read what the configured stdout handler (its JSON formatter and its
request-id filter, from settings.LOGGING) writes; the last tests read the stdout of a
production gunicorn.
"""

import io
import json
import logging
import re

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from tests.thinktank.test_production_settings import (
    collect_static,
    database_url,
    production_env,
    running_gunicorn,
)
from thinktank.logging import RequestIdFilter

pytestmark = pytest.mark.django_db

SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
REQUIRED_FIELDS = {"time", "level", "logger", "message", "request_id"}


# A URLconf for these tests: the site, plus views that log and fail.
def _logs_something(request):
    logging.getLogger("thinktank.tests").info("handling the request")
    return HttpResponse("ok")


def _fails(request):
    raise RuntimeError("boom-marker-7f3a")


urlpatterns = [
    path("test-logging/logs/", _logs_something),
    path("test-logging/fails/", _fails),
    path("", include("thinktank.urls")),
]
handler404 = "thinktank.views.page_not_found"
handler500 = "thinktank.views.server_error"


@pytest.fixture
def stdout_log():
    """Capture what the configured stdout handler writes; return a reader of its records."""
    [handler] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in handler.filters)
    ]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def records():
        lines = buffer.getvalue().splitlines()
        parsed = [json.loads(line) for line in lines]  # every line is one JSON object
        for record in parsed:
            assert record.keys() >= REQUIRED_FIELDS, record
        return parsed

    yield records
    handler.setStream(previous)


@pytest.fixture
def client():
    cache.clear()  # no rate limit carried over from other tests
    yield Client(raise_request_exception=False)
    cache.clear()


def lines_for(records, request_id):
    return [record for record in records if record["request_id"] == request_id]


@pytest.mark.urls(__name__)
def test_log_lines_written_during_a_request_carry_its_request_id(client, stdout_log):
    response = client.get("/test-logging/logs/")

    request_id = response["X-Request-ID"]
    assert SAFE_REQUEST_ID.match(request_id)
    [line] = [r for r in stdout_log() if r["message"] == "handling the request"]
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["logger"] == "thinktank.tests"


@pytest.mark.urls(__name__)
def test_each_request_gets_its_own_id(client, stdout_log):
    ids = {client.get("/test-logging/logs/")["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3
    assert {r["request_id"] for r in stdout_log()} >= ids


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "incoming",
    ["abc123-proxy-id", "0f8fad5b-d9cb-469f-a165-70867728950e", "req_01HZX3.abc-def"],
)
def test_a_sane_incoming_request_id_is_echoed_and_logged(client, stdout_log, incoming):
    response = client.get("/test-logging/logs/", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming
    [line] = lines_for(stdout_log(), incoming)
    assert line["message"] == "handling the request"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "incoming",
    [
        "has spaces in it",
        "x" * 1000,
        "abcdefgh\nX-Injected: yes",
        "abcdefgh\r\nSet-Cookie: a=b",
        "short",
        '"><script>alert(1)</script>',
        "id-with-ünïcode",
        "Root=1-67891233-abcdef012345678912345678",
        "",
    ],
)
def test_an_insane_incoming_request_id_is_replaced(client, stdout_log, incoming):
    response = client.get("/test-logging/logs/", headers={"X-Request-ID": incoming})

    replaced = response["X-Request-ID"]
    assert replaced != incoming
    assert SAFE_REQUEST_ID.match(replaced)
    records = stdout_log()
    [line] = lines_for(records, replaced)
    assert line["message"] == "handling the request"
    assert not lines_for(records, incoming)


@pytest.mark.urls(__name__)
def test_a_server_error_logs_its_traceback_with_the_request_id(client, stdout_log):
    response = client.get("/test-logging/fails/", headers={"X-Request-ID": "error-check-123"})

    assert response.status_code == 500
    assert "boom-marker" not in response.content.decode()
    assert response["X-Request-ID"] == "error-check-123"
    [error] = [r for r in lines_for(stdout_log(), "error-check-123") if r["level"] == "ERROR"]
    assert error["logger"] == "django.request"
    assert error["message"] == "Internal Server Error: /test-logging/fails/"
    assert error["exc_info"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: boom-marker-7f3a" in error["exc_info"]


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [
        ("post", "/newsletter/", {"email": "not an address"}, 400),
        ("get", "/newsletter/confirm/not-a-token/", None, 400),
        ("post", "/newsletter/unsubscribe/not-a-token/", None, 400),
        ("get", "/ideas/?topic=no-such-topic", None, 404),
    ],
)
def test_error_responses_are_logged_with_the_request_id(
    client, stdout_log, method, path, data, status
):
    """Django logs every 4xx/5xx answer ("Bad Request: /path"); that line names the request
    too, whether the view raised or returned the error response."""
    response = getattr(client, method)(path, data, headers={"X-Request-ID": "client-error-42"})

    assert response.status_code == status
    messages = [r["message"] for r in lines_for(stdout_log(), "client-error-42")]
    assert any(path.split("?")[0] in message for message in messages), stdout_log()


@pytest.mark.urls(__name__)
def test_lines_logged_outside_a_request_say_so(client, stdout_log):
    client.get("/test-logging/logs/", headers={"X-Request-ID": "finished-request-1"})

    logging.getLogger("thinktank.tests").warning("between requests")

    [line] = [r for r in stdout_log() if r["message"] == "between requests"]
    assert line["request_id"] == "-", "a finished request's id must not leak to later lines"


# A real production server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_setup):
    static_root = collect_static(tmp_path_factory, database_url())
    env = production_env(database_url(), STATIC_ROOT=str(static_root))
    with running_gunicorn(env, tmp_path_factory.mktemp("logging-server")) as server:
        yield server


HTTPS = {"X-Forwarded-Proto": "https"}


def test_the_production_server_writes_one_json_object_a_line_to_stdout(server):
    _, generated, _ = server.get("/", headers=HTTPS)
    _, replaced, _ = server.get("/", headers={**HTTPS, "X-Request-ID": "has spaces " * 20})
    server.get("/no-such-page/", headers=HTTPS)

    records = [json.loads(line) for line in server.stdout().splitlines() if line.strip()]

    assert records
    for record in records:
        assert record.keys() >= REQUIRED_FIELDS, record
    assert SAFE_REQUEST_ID.match(generated["X-Request-ID"])
    assert SAFE_REQUEST_ID.match(replaced["X-Request-ID"])


def test_the_production_servers_not_found_line_carries_the_request_id(server):
    status, headers, _ = server.get(
        "/no-such-essay-here/", headers={**HTTPS, "X-Request-ID": "gunicorn-check-0001"}
    )
    assert status == 404
    assert headers["X-Request-ID"] == "gunicorn-check-0001"

    records = [json.loads(line) for line in server.stdout().splitlines() if line.strip()]

    [not_found] = [r for r in records if r["message"] == "Not Found: /no-such-essay-here/"]
    assert not_found["level"] == "WARNING"
    assert not_found["logger"] == "django.request"
    assert not_found["request_id"] == "gunicorn-check-0001"
