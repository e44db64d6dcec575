"""Every page type, admin included, carries the production security headers (issue 5).

The HTTPS-dependent settings (HSTS, `__Host-` cookie names, Secure flags, the HTTPS redirect)
are computed when settings.py is imported, from DJANGO_DEBUG and DJANGO_HTTPS, and the test
run imports it with HTTPS off. So `production_security` imports settings.py in a subprocess
configured exactly as production (debug off, HTTPS on by default), reads those values back,
and the tests run the real middleware and views in-process with them, over HTTPS.
"""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.thinktank.test_production_settings import BASE_DIR, database_url, production_env

PASSWORD = "correct-horse-battery-staple-42"
ONE_YEAR = 31_536_000
SECURITY_SETTINGS = [
    "DEBUG",
    "MIDDLEWARE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_SSL_HOST",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_CSP",
    "SECURE_CSP_REPORT_ONLY",
    "X_FRAME_OPTIONS",
    "PERMISSIONS_POLICY",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_PATH",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "CSRF_COOKIE_PATH",
    "CSRF_COOKIE_DOMAIN",
    "CSRF_USE_SESSIONS",
]
_DUMP_SETTINGS = """
import json, sys
import django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))
"""


@pytest.fixture(scope="session")
def production_security():
    """The security settings as settings.py computes them for production."""
    env = production_env(database_url("unused"))
    assert "DJANGO_HTTPS" not in env
    assert "DJANGO_DEBUG" not in env
    result = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-c", _DUMP_SETTINGS, *SECURITY_SETTINGS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"] or ()) or None
    return values


@pytest.fixture
def https(settings, production_security):
    """Production's security settings in this process; returns a client that speaks HTTPS."""
    for name, value in production_security.items():
        setattr(settings, name, value)
    return HttpsClient()


class HttpsClient(Client):
    """A test client whose requests arrive over HTTPS, as production's are."""

    def generic(self, *args, **kwargs):
        kwargs["secure"] = True
        return super().generic(*args, **kwargs)


@pytest.fixture
def site_content(db):
    author = AuthorFactory(name="Robin Murray")
    series = SeriesFactory(title="Mutualism")
    essay = EssayFactory(
        title="The new wave of mutuality",
        series=series,
        series_position=1,
        authors=[author],
        topics=["Co-operatives"],
    )
    return {"author": author, "series": series, "essay": essay}


@pytest.fixture
def superuser(db, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    return django_user_model.objects.create_superuser("boss", "boss@example.org", PASSWORD)


# Which page, at what status; `staff` pages are fetched logged in as an editor.
PAGES = {
    "home": ("/", 200),
    "ideas": ("/ideas/", 200),
    "ideas by topic": ("/ideas/?topic=co-operatives", 200),
    "series": ("/series/mutualism/", 200),
    "essay": ("/essays/the-new-wave-of-mutuality/", 200),
    "author": ("/authors/robin-murray/", 200),
    "topic": ("/topics/co-operatives/", 200),
    "search": ("/search/?q=mutuality", 200),
    "newsletter": ("/newsletter/", 200),
    "newsletter bad link": ("/newsletter/confirm/not-a-token/", 400),
    "404": ("/no-such-page/", 404),
    "essay feed": ("/feeds/essays/", 200),
    "series feed": ("/series/mutualism/feed/", 200),
    "robots.txt": ("/robots.txt", 200),
    "sitemap": ("/sitemap.xml", 200),
    "healthz": ("/healthz", 200),
    "admin login": ("/admin/login/", 200),
}
STAFF_PAGES = {
    "admin index": ("/admin/", 200),
    "admin essay list": ("/admin/essays/essay/", 200),
    "admin essay change": ("/admin/essays/essay/{essay_pk}/change/", 200),
    "admin essay add": ("/admin/essays/essay/add/", 200),
    "admin series change": ("/admin/series/series/{series_pk}/change/", 200),
    "admin author change": ("/admin/essays/author/{author_pk}/change/", 200),
}
# <script> types that are data, never run: CSP does not govern them.
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


def csp_directives(header):
    """Return {directive: [values]} from a Content-Security-Policy header."""
    directives = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            directives[tokens[0].lower()] = tokens[1:]
    return directives


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def scripts_in(html):
    parser = _Scripts()
    parser.feed(html)
    return parser.scripts


def assert_security_headers(response):
    headers = response.headers
    csp = csp_directives(headers["Content-Security-Policy"])
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src is not None, "no script-src (nor default-src) in the CSP"
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "*" not in script_src
    assert "data:" not in script_src
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("base-uri") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'none'"]
    assert "Content-Security-Policy-Report-Only" not in headers

    nonces = {value[7:-1] for value in script_src if value.startswith("'nonce-")}
    if "html" in headers.get("Content-Type", ""):
        for script in scripts_in(response.content.decode()):
            if script.get("type") in DATA_SCRIPT_TYPES:
                continue
            # Every script, inline or not, carries this response's nonce.
            assert script.get("nonce") in nonces, f"script without the nonce: {script}"

    hsts = {}
    for item in headers["Strict-Transport-Security"].split(";"):
        name, _, value = item.strip().partition("=")
        hsts[name] = value
    assert int(hsts["max-age"]) >= ONE_YEAR
    assert "includeSubDomains" in hsts
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert headers["X-Frame-Options"] == "DENY"
    assert SAFE_REQUEST_ID.match(headers["X-Request-ID"])


@pytest.mark.parametrize("page", PAGES)
def test_every_public_page_type_carries_the_security_headers(https, site_content, page):
    path, status = PAGES[page]

    response = https.get(path)

    assert response.status_code == status, path
    assert_security_headers(response)


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_every_admin_page_type_carries_the_security_headers(https, site_content, editor, page):
    path, status = STAFF_PAGES[page]
    path = path.format(
        essay_pk=site_content["essay"].pk,
        series_pk=site_content["series"].pk,
        author_pk=site_content["author"].pk,
    )
    https.force_login(editor)

    response = https.get(path)

    assert response.status_code == status, path
    assert_security_headers(response)


def test_admin_scripts_are_allowed_by_this_responses_nonce_only(https, site_content, editor):
    https.force_login(editor)

    first = https.get(f"/admin/essays/essay/{site_content['essay'].pk}/change/")
    second = https.get(f"/admin/essays/essay/{site_content['essay'].pk}/change/")

    nonces = []
    for response in (first, second):
        script_src = csp_directives(response.headers["Content-Security-Policy"])["script-src"]
        [nonce] = [value for value in script_src if value.startswith("'nonce-")]
        nonces.append(nonce)
        assert len(nonce) >= len("'nonce-'") + 16
        assert scripts_in(response.content.decode()), "the editor page loads its scripts"
    assert nonces[0] != nonces[1], "a nonce is never reused"


def test_the_script_policy_is_nonce_based_without_unsafe_inline(production_security):
    from django.utils.csp import CSP

    policy = production_security["SECURE_CSP"]

    assert CSP.NONCE in policy["script-src"]
    assert CSP.UNSAFE_INLINE not in policy["script-src"]
    assert CSP.UNSAFE_INLINE not in policy.get("style-src", [])
    assert not production_security["SECURE_CSP_REPORT_ONLY"]


def test_the_csrf_failure_page_carries_the_headers_too(https, db):
    """A page answered by middleware rather than a view."""
    client = HttpsClient(enforce_csrf_checks=True)

    response = client.post("/newsletter/confirm/any-token/", {})

    assert response.status_code == 403
    assert_security_headers(response)


def test_production_redirects_plain_http_to_https_except_the_health_check(https, site_content):
    plain = Client()

    response = plain.get("/ideas/?page=1")
    health = plain.get("/healthz")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/ideas/?page=1"
    assert health.status_code == 200


def test_behind_the_proxy_a_forwarded_https_request_is_secure(https, site_content):
    plain = Client(headers={"X-Forwarded-Proto": "https"})

    response = plain.get("/")

    assert response.status_code == 200
    assert_security_headers(response)


# Cookies ----------------------------------------------------------------------------------


def assert_host_prefixed(morsel, *, httponly=True):
    assert morsel.key.startswith("__Host-")
    assert morsel["secure"] is True
    assert morsel["path"] == "/"
    assert morsel["domain"] == "", "__Host- cookies must not name a domain"
    assert morsel["samesite"] == "Lax"
    if httponly:
        assert morsel["httponly"] is True


def test_the_csrf_cookie_is_host_prefixed_secure_httponly_and_samesite(https, db):
    response = https.get("/admin/login/")  # public pages carry no token: the admin does

    assert "__Host-csrftoken" in response.cookies, list(response.cookies)
    assert_host_prefixed(response.cookies["__Host-csrftoken"])


def test_the_admin_session_cookie_is_host_prefixed_secure_httponly_and_samesite(https, superuser):
    response = https.post("/admin/login/?next=/admin/", {"username": "boss", "password": PASSWORD})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert "__Host-sessionid" in response.cookies, list(response.cookies)
    session = response.cookies["__Host-sessionid"]
    assert_host_prefixed(session)
    assert session["expires"] == "", "the session ends with the browser"
    assert session["max-age"] == ""
    # The login rotates the CSRF token: that cookie keeps its protections too.
    if "__Host-csrftoken" in response.cookies:
        assert_host_prefixed(response.cookies["__Host-csrftoken"])
    assert https.get("/admin/").status_code == 200


def test_staff_sessions_expire(https, superuser):
    https.post("/admin/login/", {"username": "boss", "password": PASSWORD})

    session = https.session

    assert session.get_expire_at_browser_close()
    assert 0 < session.get_expiry_age() <= 12 * 3600


def test_a_reader_gets_no_cookie_at_all(https, site_content):
    """Public pages set no session and no CSRF cookie: readers are not tracked, and pages
    stay cacheable, by us and by a CDN."""
    names = set()
    for path in ("/", "/ideas/", "/essays/the-new-wave-of-mutuality/", "/search/?q=x"):
        names |= set(https.get(path).cookies)
    names |= set(https.get("/newsletter/").cookies)

    assert names == set()
