"""Beyond one machine: the settings for Redis, RQ, S3 media and a CDN, and a Redis outage.

Settings are read in a subprocess from an environment built from scratch (as in
test_production_settings.py). The cache tests talk to the machine's real Redis
(127.0.0.1:6379), to a port where nothing listens (Redis down) and to a socket that accepts
connections and never answers (Redis hung).
"""

import json
import logging
import re
import socket
import threading
import uuid

import pytest
import redis
from axes.helpers import get_client_ip_address
from django.utils.crypto import salted_hmac

from newsletter.models import Subscriber
from newsletter.ratelimit import client_ip
from tests.factories import EssayFactory
from tests.newsletter.helpers import signup_data
from tests.thinktank.test_production_settings import (
    assert_refuses_with_one_line,
    production_env,
    reserved_closed_port,
    run_manage,
)
from thinktank import redis_cache

REDIS_URL = "redis://127.0.0.1:6379/11"
# Settings are only read here: nothing connects to this database.
UNUSED_DATABASE = "postgres://postgres@127.0.0.1:5432/settings-only"
SCALE_VARIABLES = [
    "CACHE_URL",
    "CACHE_SOCKET_TIMEOUT",
    "TASKS_BACKEND",
    "TASKS_REDIS_URL",
    "MEDIA_STORAGE",
    "STATIC_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_CUSTOM_DOMAIN",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_LOCATION",
    "PROXY_COUNT",
]
S3 = {
    "MEDIA_STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": "thinktank-media",
    "AWS_S3_CUSTOM_DOMAIN": "cdn.example.org",
}


def scale_env(**overrides):
    """Return a production environment with none of the scale-out variables but `overrides`."""
    return production_env(UNUSED_DATABASE, **({name: None for name in SCALE_VARIABLES} | overrides))


def run_python(code, env):
    """Run `code` with Django set up, as the production settings load it."""
    return run_manage("shell", "--no-imports", "-c", code, env=env)


def settings_from(env):
    """Return the settings the project reads from `env`, as JSON values."""
    result = run_python(
        "import json\nfrom django.conf import settings\n"
        "names = ['CACHES', 'TASKS', 'RQ_QUEUES', 'INSTALLED_APPS', 'STORAGES', 'MEDIA_URL',"
        " 'STATIC_URL', 'SECURE_CSP']\n"
        "print(json.dumps({name: getattr(settings, name, None) for name in names}))",
        env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# Settings -----------------------------------------------------------------------------------


def test_by_default_media_and_static_files_are_served_by_the_site_itself():
    settings = settings_from(scale_env())

    assert settings["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert settings["MEDIA_URL"] == "/media/"
    assert settings["STATIC_URL"] == "/static/"
    csp = settings["SECURE_CSP"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert not [source for sources in csp.values() for source in sources if "://" in source]


def test_media_on_s3_is_configured_from_the_environment():
    settings = settings_from(
        scale_env(
            **S3,
            AWS_S3_ENDPOINT_URL="https://objects.example.net",
            AWS_S3_REGION_NAME="eu-west-2",
            AWS_S3_ADDRESSING_STYLE="path",
        )
    )

    storage = settings["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "thinktank-media",
        "location": "media",
        "custom_domain": "cdn.example.org",
        "endpoint_url": "https://objects.example.net",
        "region_name": "eu-west-2",
        "addressing_style": "path",
        "querystring_auth": False,  # URLs that do not expire can be cached with the page
        "file_overwrite": False,  # two uploads named photo.jpg never replace each other
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
    }
    assert settings["MEDIA_URL"] == "https://cdn.example.org/media/"
    assert settings["SECURE_CSP"]["img-src"] == ["'self'", "data:", "https://cdn.example.org"]


def test_media_url_follows_the_custom_domain_and_location():
    settings = settings_from(
        scale_env(
            **(S3 | {"AWS_S3_CUSTOM_DOMAIN": "objects.example.net/thinktank/", "AWS_LOCATION": ""})
        )
    )

    assert settings["MEDIA_URL"] == "https://objects.example.net/thinktank/"
    assert settings["STORAGES"]["default"]["OPTIONS"]["custom_domain"] == (
        "objects.example.net/thinktank"
    )
    assert "https://objects.example.net" in settings["SECURE_CSP"]["img-src"]


def test_static_files_from_a_cdn_are_allowed_by_the_csp_for_scripts_styles_fonts_and_images():
    settings = settings_from(scale_env(**S3, STATIC_URL="https://static.example.org/static"))

    assert settings["STATIC_URL"] == "https://static.example.org/static/"
    csp = settings["SECURE_CSP"]
    for directive in ("script-src", "style-src", "font-src", "img-src"):
        assert "https://static.example.org" in csp[directive], directive
    assert "https://cdn.example.org" in csp["img-src"]
    assert "https://cdn.example.org" not in csp["script-src"]  # uploads never run as script
    # whitenoise still serves the files at /static/ on the site: the CDN's origin.
    assert settings["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


@pytest.mark.django_db
def test_with_static_files_on_a_cdn_pages_link_there_and_the_site_still_serves_them(
    settings, client
):
    settings.STATIC_URL = "https://static.example.org/static/"

    page = client.get("/").content.decode()

    assert re.search(r'<link [^>]*href="https://static\.example\.org/static/css/site\.css"', page)
    assert client.get("/static/css/site.css").status_code == 200  # the CDN fetches it here


def test_redis_cache_from_cache_url_has_socket_timeouts_and_a_key_prefix():
    settings = settings_from(scale_env(CACHE_URL=REDIS_URL, CACHE_SOCKET_TIMEOUT="0.25"))

    assert settings["CACHES"]["default"] == {
        "BACKEND": "thinktank.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "thinktank",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }


@pytest.mark.parametrize(
    ("env", "queue_url"),
    [
        ({"TASKS_REDIS_URL": "redis://queue.internal:6379/0", "CACHE_URL": REDIS_URL}, None),
        ({"CACHE_URL": REDIS_URL}, REDIS_URL),  # no TASKS_REDIS_URL: the cache's Redis
    ],
)
def test_tasks_backend_rq_queues_tasks_in_redis(env, queue_url):
    settings = settings_from(scale_env(TASKS_BACKEND="rq", **env))

    assert settings["TASKS"] == {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
    assert settings["RQ_QUEUES"] == {"default": {"URL": queue_url or env["TASKS_REDIS_URL"]}}
    assert "django_rq" in settings["INSTALLED_APPS"]


def test_the_deploy_check_is_clean_with_every_scale_out_setting():
    env = scale_env(
        **S3,
        CACHE_URL=REDIS_URL,
        TASKS_BACKEND="rq",
        STATIC_URL="https://cdn.example.org/static/",
        PROXY_COUNT="1",
    )

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE"),
        ({"MEDIA_STORAGE": "s3"}, "AWS_STORAGE_BUCKET_NAME"),
        ({**S3, "AWS_S3_CUSTOM_DOMAIN": ""}, "AWS_S3_CUSTOM_DOMAIN"),
        ({**S3, "AWS_S3_CUSTOM_DOMAIN": "https://cdn.example.org"}, "AWS_S3_CUSTOM_DOMAIN"),
        ({**S3, "AWS_S3_ENDPOINT_URL": "objects.example.net"}, "AWS_S3_ENDPOINT_URL"),
        ({"AWS_STORAGE_BUCKET_NAME": "thinktank-media"}, "MEDIA_STORAGE"),
        ({"STATIC_URL": "static.example.org/static/"}, "STATIC_URL"),
        ({"STATIC_URL": "//static.example.org/static/"}, "STATIC_URL"),
        ({"CACHE_URL": "memcached://127.0.0.1:11211"}, "CACHE_URL"),
        ({"CACHE_URL": REDIS_URL, "CACHE_SOCKET_TIMEOUT": "soon"}, "CACHE_SOCKET_TIMEOUT"),
        ({"CACHE_URL": REDIS_URL, "CACHE_SOCKET_TIMEOUT": "0"}, "CACHE_SOCKET_TIMEOUT"),
        ({"CACHE_URL": REDIS_URL, "CACHE_SOCKET_TIMEOUT": "inf"}, "CACHE_SOCKET_TIMEOUT"),
        ({"TASKS_BACKEND": "rq"}, "TASKS_REDIS_URL"),
        ({"PROXY_COUNT": "one"}, "PROXY_COUNT"),
        ({"PROXY_COUNT": "-1"}, "PROXY_COUNT"),
        ({"TASKS_BACKEND": "rq", "TASKS_REDIS_URL": "amqp://queue:5672"}, "TASKS_REDIS_URL"),
    ],
    ids=lambda value: (
        "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
    ),
)
def test_bad_scale_out_settings_stop_the_app_with_one_line(env, variable):
    result = run_manage("check", env=scale_env(**env))

    assert_refuses_with_one_line(result, variable)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CACHE_URL": REDIS_URL}, "CACHE_URL"),
        ({"TASKS_BACKEND": "rq", "TASKS_REDIS_URL": REDIS_URL}, "TASKS_BACKEND=rq"),
        (S3, "MEDIA_STORAGE=s3"),
    ],
)
def test_without_the_scale_extra_installed_the_app_says_what_to_install(env, variable, tmp_path):
    # Python's site hook runs this first: the packages look uninstalled to importlib.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "for name in ('redis', 'django_tasks_rq', 'django_rq', 'storages', 'boto3'):\n"
        "    sys.modules[name] = None\n"
    )

    result = run_manage("check", env=scale_env(**env, PYTHONPATH=str(tmp_path)))

    assert_refuses_with_one_line(result, variable)
    assert "pip install '.[scale]'" in result.stderr


def test_a_refused_redis_url_is_not_echoed_since_it_may_hold_a_password():
    result = run_manage("check", env=scale_env(CACHE_URL="memcached://:hunter2@cache:11211"))

    assert_refuses_with_one_line(result, "CACHE_URL")
    assert "hunter2" not in result.stderr


# The real Redis ---------------------------------------------------------------------------


def test_cache_url_stores_and_reads_values_in_redis():
    key = f"scale-out-test-{uuid.uuid4().hex}"
    result = run_python(
        "import json\nfrom django.core.cache import caches\ncache = caches['default']\n"
        f"cache.set({key!r}, {{'essays': [1, 2]}}, 60)\n"
        f"print(json.dumps([cache.get({key!r}), type(cache).__module__]))",
        scale_env(CACHE_URL=REDIS_URL),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        {"essays": [1, 2]},
        "thinktank.redis_cache",
    ]
    # It is in Redis itself (under the key prefix and version), not in process memory.
    server = redis.Redis.from_url(REDIS_URL)
    try:
        assert server.ttl(f"thinktank:1:{key}") > 0
    finally:
        server.delete(f"thinktank:1:{key}")
        server.close()


def test_a_hung_redis_gives_cache_misses_after_the_socket_timeout():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)  # the kernel completes handshakes; nothing ever reads or replies
        port = hung.getsockname()[1]
        result = run_python(
            "from django.core.cache import cache\n"
            "cache.set('page', 'cached')\n"
            "print(cache.get('page', 'miss'), cache.add('lock', 1))",
            scale_env(CACHE_URL=f"redis://127.0.0.1:{port}/0", CACHE_SOCKET_TIMEOUT="0.2"),
        )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "miss False"
    assert "Redis cache unreachable" in result.stdout  # logged (JSON lines on stdout)


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The cache as CACHE_URL configures it, pointing at a port where nothing listens."""
    monkeypatch.setattr(redis_cache, "_last_logged", -redis_cache.LOG_INTERVAL)
    with reserved_closed_port() as closed:
        url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        settings.CACHES = settings_from(scale_env(CACHE_URL=url))["CACHES"]
        assert settings.CACHES["default"]["BACKEND"] == "thinktank.redis_cache.RedisCache"
        yield


@pytest.mark.django_db
def test_with_redis_down_public_pages_are_still_served(redis_down, client):
    essay = EssayFactory(title="Mutual aid")

    for path in ["/", essay.get_absolute_url(), "/ideas/", "/newsletter/", "/sitemap.xml"]:
        assert client.get(path).status_code == 200, path
    assert "Mutual aid" in client.get(essay.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_with_redis_down_sign_ups_are_recorded_and_not_rate_limited(redis_down, client, caplog):
    caplog.set_level(logging.WARNING, logger="thinktank.redis_cache")
    addresses = [f"reader{n}@example.org" for n in range(7)]  # over the limit of 5 per IP

    statuses = [
        client.post("/newsletter/", signup_data(a), REMOTE_ADDR="198.51.100.7").status_code
        for a in addresses
    ]

    assert statuses == [302] * len(addresses)
    assert set(Subscriber.objects.values_list("email", flat=True)) == set(addresses)
    outage_logs = [r for r in caplog.records if "Redis cache unreachable" in r.getMessage()]
    assert len(outage_logs) == 1  # once, not once a request


@pytest.mark.django_db
def test_with_redis_the_sign_up_rate_limit_is_counted_in_redis_for_every_app_server(
    settings, client
):
    settings.CACHES = settings_from(scale_env(CACHE_URL=REDIS_URL))["CACHES"]
    ip = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"  # this run's own counter
    ip_key = salted_hmac("newsletter.ratelimit", ip, algorithm="sha256").hexdigest()
    key = f"thinktank:1:newsletter:signup-rate:{ip_key}"
    server = redis.Redis.from_url(REDIS_URL)
    try:
        statuses = [
            client.post(
                "/newsletter/", signup_data(f"r{n}@example.org"), REMOTE_ADDR=ip
            ).status_code
            for n in range(6)
        ]

        assert statuses == [302] * 5 + [429]
        assert int(server.get(key)) == 6
    finally:
        server.delete(key)
        server.close()


def test_after_a_failure_the_cache_leaves_redis_alone_for_a_while():
    """While Redis is down, only one request now and then waits for it."""
    accepted = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)

        def hang_up():  # accept each connection and close it at once: a failing Redis
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:
                    return
                accepted.append(connection)
                connection.close()

        threading.Thread(target=hang_up, daemon=True).start()
        cache = redis_cache.RedisCache(
            f"redis://127.0.0.1:{server.getsockname()[1]}/0",
            {"OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5, "RETRY_AFTER": 600}},
        )

        assert cache.get("page", "miss") == "miss"
        attempts = len(accepted)
        assert attempts >= 1
        assert cache.get_many(["a", "b"]) == {}
        assert cache.add("lock", 1) is False
        assert cache.set_many({"a": 1}) == ["a"]
        with pytest.raises(ValueError, match="not found"):
            cache.incr("counter")
        assert len(accepted) == attempts  # none of those tried Redis again
        server.shutdown(socket.SHUT_RDWR)


# Behind a load balancer ------------------------------------------------------------------

LOAD_BALANCER = "10.0.0.2"


@pytest.mark.django_db
def test_behind_a_load_balancer_the_sign_up_rate_limit_counts_each_readers_address(
    settings, client
):
    settings.PROXY_COUNT = 1

    def sign_up(address, forwarded_for):
        data = signup_data(address)
        return client.post(
            "/newsletter/", data, REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    readers = [sign_up(f"r{n}@example.org", f"203.0.113.{n}") for n in range(1, 8)]
    # One reader who writes a new address into the header each time is still one reader.
    spoofer = [sign_up(f"s{n}@example.org", f"192.0.2.{n}, 198.51.100.9") for n in range(6)]

    assert readers == [302] * 7
    assert spoofer == [302] * 5 + [429]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "192.0.2.1, 198.51.100.9", LOAD_BALANCER),  # not configured: the connection's
        (1, "192.0.2.1, 198.51.100.9", "198.51.100.9"),
        (2, "192.0.2.1, 198.51.100.9, 10.0.0.7", "198.51.100.9"),  # CDN, then load balancer
        (2, "198.51.100.9", LOAD_BALANCER),  # fewer entries than proxies: not through them
    ],
)
def test_client_ip_for_rate_limits_and_admin_lockouts_skips_our_own_proxies(
    settings, rf, proxies, forwarded_for, expected
):
    settings.PROXY_COUNT = proxies
    request = rf.post(
        "/admin/login/", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=forwarded_for
    )

    assert client_ip(request) == expected
    assert get_client_ip_address(request) == expected  # django-axes, for the admin lockout
