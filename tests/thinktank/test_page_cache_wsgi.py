"""The WSGI application answers readers' hits before Django, and leaves it everything else.

`thinktank.wsgi.application` (what gunicorn serves) is called as a WSGI server calls it.
Whatever path answers, the reader gets the same page with the same headers.
"""

import gzip
import io
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.factories import EssayFactory
from tests.thinktank.test_page_cache import SECURITY_HEADERS
from thinktank.wsgi import application

pytestmark = pytest.mark.django_db

# Everything a rendered page says of itself, which a hit must say too.
PAGE_HEADERS = [*SECURITY_HEADERS, "Cache-Control", "Vary", "ETag", "Last-Modified", "Content-Type"]


@pytest.fixture(autouse=True)
def keep_the_test_transaction():
    """As Django's test client does: the request signals would close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(path, method="GET", **headers):
    """Return (status, headers, body) from the WSGI application."""
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    chunks = application(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer["status"], answer["headers"], body


@pytest.fixture
def url():
    return EssayFactory(title="An essay").get_absolute_url()


def test_a_hit_is_the_page_django_rendered_with_the_same_headers(url):
    status, rendered, body = call(url, accept_encoding="gzip")
    hit_status, hit, hit_body = call(url, accept_encoding="gzip")

    assert (status, hit_status) == (200, 200)
    assert (rendered["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    assert hit_body == body
    assert b"An essay" in gzip.decompress(hit_body)
    assert hit["Content-Encoding"] == "gzip"
    assert int(hit["Content-Length"]) == len(hit_body)
    for header in PAGE_HEADERS:
        assert hit[header] == rendered[header], header
    assert hit["X-Request-ID"] != rendered["X-Request-ID"]


def test_a_hit_never_reaches_django(url, monkeypatch):
    call(url)

    def django_must_not_run(environ, start_response):
        raise AssertionError("a hit went on to Django")

    monkeypatch.setattr(application, "application", django_must_not_run)
    status, headers, _ = call(url)

    assert (status, headers["X-Cache"]) == (200, "hit")


def test_a_reader_who_takes_no_gzip_gets_the_plain_page(url):
    call(url)
    status, headers, body = call(url)

    assert (status, headers["X-Cache"]) == (200, "hit")
    assert "Content-Encoding" not in headers
    assert b"An essay" in body
    assert int(headers["Content-Length"]) == len(body)


def test_the_proxy_s_request_id_is_kept_on_a_hit(url):
    call(url)
    _, headers, _ = call(url, x_request_id="from-the-proxy-1234")

    assert headers["X-Cache"] == "hit"
    assert headers["X-Request-ID"] == "from-the-proxy-1234"


def test_a_conditional_request_is_answered_304_by_django(url):
    _, first, _ = call(url)

    status, headers, body = call(url, if_none_match=first["ETag"])

    assert (status, body) == (304, b"")
    assert headers["ETag"] == first["ETag"]


@pytest.mark.parametrize(
    ("method", "headers"),
    [("GET", {"cookie": "sessionid=abc"}), ("GET", {"cookie": "messages=x"}), ("HEAD", {})],
)
def test_staff_and_other_methods_are_never_answered_from_the_cache(url, method, headers):
    call(url)
    assert call(url)[1]["X-Cache"] == "hit"

    status, answered, _ = call(url, method=method, **headers)

    assert status == 200
    assert answered.get("X-Cache") != "hit"


def test_another_host_is_not_answered_with_this_host_s_page(url, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    call(url)

    status, headers, _ = call(url, host="evil.example")

    assert status == 400
    assert "X-Cache" not in headers
