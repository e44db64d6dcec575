"""Static files in production: collected with hashed names, compressed, cached for a year.

`collectstatic` runs with production settings (whitenoise's CompressedManifestStaticFilesStorage)
into a temporary STATIC_ROOT; a production gunicorn then serves the site from it, as the
README deploys it.
"""

import gzip
import json
import re

import pytest

from tests.thinktank.test_production_settings import (
    collect_static,
    database_url,
    production_env,
    running_gunicorn,
)

# The server started here reads the test database: the mark makes pytest-django create it.
pytestmark = pytest.mark.django_db

HTTPS = {"X-Forwarded-Proto": "https"}
ONE_YEAR = 31_536_000
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})\.(?P<ext>[a-z0-9]+)$")


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, django_db_setup):
    return collect_static(tmp_path_factory, database_url())


@pytest.fixture(scope="module")
def manifest(static_root):
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, static_root):
    env = production_env(database_url(), STATIC_ROOT=str(static_root))
    with running_gunicorn(env, tmp_path_factory.mktemp("static-server")) as server:
        yield server


@pytest.fixture(scope="module")
def stylesheets(server):
    """The stylesheets the rendered home page links to."""
    status, _, body = server.get("/", headers=HTTPS)
    assert status == 200
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', body.decode())


@pytest.fixture(scope="module")
def stylesheet_url(stylesheets):
    """The site's main stylesheet, as the rendered home page links to it."""
    [url] = [url for url in stylesheets if url.startswith("/static/css/site.")]
    return url


@pytest.mark.parametrize("name", ["css/site.css", "css/print.css", "admin/css/base.css"])
def test_collectstatic_writes_hashed_names_in_the_manifest(static_root, manifest, name):
    hashed = manifest[name]

    match = HASHED.match(hashed)
    assert match, hashed
    assert f"{match['stem']}.{match['ext']}" == name
    assert (static_root / hashed).is_file()


def test_collectstatic_writes_gzip_variants(static_root, manifest):
    hashed = static_root / manifest["css/site.css"]
    compressed = hashed.with_name(hashed.name + ".gz")

    assert compressed.exists()
    assert gzip.decompress(compressed.read_bytes()) == hashed.read_bytes()


def test_collectstatic_writes_brotli_variants(static_root, manifest):
    hashed = static_root / manifest["css/site.css"]

    assert hashed.with_name(hashed.name + ".br").exists(), (
        "no .br files: whitenoise writes them only when the Brotli package is installed"
    )


def test_pages_link_the_hashed_stylesheets(stylesheets, stylesheet_url, manifest):
    assert stylesheet_url == "/static/" + manifest["css/site.css"]
    for url in stylesheets:
        assert url.removeprefix("/static/") in manifest.values(), url


def test_whitenoise_serves_the_hashed_file_with_far_future_cache_headers(
    server, stylesheet_url, static_root, manifest
):
    status, headers, body = server.get(stylesheet_url, headers=HTTPS)

    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert body == (static_root / manifest["css/site.css"]).read_bytes()
    cache_control = [item.strip() for item in headers["Cache-Control"].split(",")]
    [max_age] = [int(item.split("=")[1]) for item in cache_control if item.startswith("max-age=")]
    assert max_age >= ONE_YEAR
    assert "immutable" in cache_control
    assert "public" in cache_control


def test_whitenoise_serves_the_gzip_variant_to_clients_that_accept_it(server, stylesheet_url):
    status, headers, body = server.get(stylesheet_url, headers={**HTTPS, "Accept-Encoding": "gzip"})

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert b".site-header" in gzip.decompress(body)


def test_whitenoise_serves_the_brotli_variant_to_clients_that_accept_it(server, stylesheet_url):
    status, headers, _ = server.get(stylesheet_url, headers={**HTTPS, "Accept-Encoding": "br"})

    assert status == 200
    assert headers.get("Content-Encoding") == "br"


def test_unhashed_names_are_not_cached_for_long(server):
    """Only a hashed name is safe to cache forever: its content never changes."""
    status, headers, _ = server.get("/static/css/site.css", headers=HTTPS)

    assert status == 200
    cache_control = headers.get("Cache-Control", "")
    assert "immutable" not in cache_control
    ages = [int(age) for age in re.findall(r"max-age=(\d+)", cache_control)]
    assert all(age < 86400 for age in ages), cache_control


def test_static_files_carry_the_security_headers(server, stylesheet_url):
    _, headers, _ = server.get(stylesheet_url, headers=HTTPS)

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=" in headers["Strict-Transport-Security"]
