"""Settings for Thinktank, driven by environment variables (see README "Configuration")."""

import math
import os
import sys
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def refuse_to_start(reason):
    """Stop with one line that says what to fix, instead of a traceback.

    Exit status 3 is gunicorn's "worker failed to boot": the server stops rather than
    restarting workers that can never start.
    """
    print(f"Thinktank will not start: {reason}", file=sys.stderr)
    raise SystemExit(3)


def env_seconds(name, default):
    value = os.environ.get(name, default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        refuse_to_start(f"{name} must be a number of seconds above 0, not {value!r}.")
    return seconds


def redis_url(name, url):
    """Return `url` if it names a Redis server; refuse to start otherwise (without echoing it:
    it may hold a password)."""
    if urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        refuse_to_start(f"{name} must be redis://[:password@]host:port/db, rediss:// or unix://.")
    return url


def require_scale_extra(setting, *modules):
    """Refuse to start when `setting` needs an optional dependency that is not installed."""
    if any(find_spec(module) is None for module in modules):
        refuse_to_start(f"{setting} needs the scale-out dependencies: pip install '.[scale]'.")


def url_prefix(name, default):
    """Return a URL prefix (`/static/` or `https://cdn.example.org/static/`), ending in /."""
    value = os.environ.get(name, default).strip()
    parts = urlsplit(value)
    absolute = parts.scheme in {"http", "https"} and parts.netloc
    if not (absolute or (value.startswith("/") and not value.startswith("//"))):
        refuse_to_start(f"{name} must be a path (/static/) or an https:// URL, not {value!r}.")
    return value if value.endswith("/") else value + "/"


def origin(url):
    """Return the scheme and host of an absolute URL (for the CSP), or None for a path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        refuse_to_start(
            "DJANGO_SECRET_KEY is not set. Set it (50+ random characters), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"  # noqa: S105
if not DEBUG and "DATABASE_URL" not in os.environ:
    refuse_to_start(
        "DATABASE_URL is not set. Production needs a database, "
        "e.g. postgres://user:password@host:5432/thinktank."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "thinktank",
    "series",
    "essays",
    "newsletter",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.redirects",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "taggit",
    "django_prose_editor",
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    "thinktank.middleware.RequestIdMiddleware",
    # Readers' public pages from the cache, before everything else that is the same for
    # every reader (their stored headers already carry the security headers): pagecache.py.
    "thinktank.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "thinktank.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Old URLs (slug changes, the previous site) answer 301 instead of 404.
    "thinktank.middleware.QueryAwareRedirectFallbackMiddleware",
    # Last, so it sees the admin login's failures: locks out brute-force attempts.
    "axes.middleware.AxesMiddleware",
]
SITE_ID = 1

ROOT_URLCONF = "thinktank.urls"
WSGI_APPLICATION = "thinktank.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "thinktank.context_processors.site",
                "newsletter.context_processors.signup_form",
            ],
        },
    },
]

# Database: DATABASE_URL, or an SQLite file under var/ so `make run` needs no setup.
if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when the database is down: readers get a 503 page within seconds.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "2"))
    )
    # PostgreSQL's default random_page_cost (4) prices an index lookup for a spinning disk,
    # so for a page's few rows the planner would rather hash a whole table (every author, to
    # name a page's twenty bylines). Our tables sit in memory or on SSD: price them so.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c random_page_cost=1.1")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis through CACHE_URL (one cache for every app server), else per-process local
# memory. A Redis that is down or hangs counts as an empty cache (thinktank/redis_cache.py).
if cache_url := os.environ.get("CACHE_URL"):
    redis_url("CACHE_URL", cache_url)
    require_scale_extra("CACHE_URL", "redis")
    _cache_timeout = env_seconds("CACHE_SOCKET_TIMEOUT", "0.5")
    CACHES = {
        "default": {
            "BACKEND": "thinktank.redis_cache.RedisCache",
            "LOCATION": cache_url,
            "KEY_PREFIX": "thinktank",
            "OPTIONS": {
                "socket_connect_timeout": _cache_timeout,
                "socket_timeout": _cache_timeout,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }
# Whole public pages, keyed by content version, so never stale (thinktank/pagecache.py).
PAGE_CACHE = env_bool("PAGE_CACHE", default=True)
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", 24 * 3600))
# How processes learn of a change without a query: this file (local memory cache) or the
# shared cache (Redis); either way a process checks the database at least this often.
PAGE_CACHE_CLOCK_FILE = Path(os.environ.get("PAGE_CACHE_CLOCK_FILE", VAR_DIR / "page-cache.clock"))
PAGE_CACHE_CLOCK_TRUST = 5

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# STATIC_URL may be a CDN (https://cdn.example.org/static/) that fetches from this site's
# /static/, where whitenoise serves the hashed files with far-future cache headers.
STATIC_URL = url_prefix("STATIC_URL", "/static/")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Production serves uploads from the web server or object storage; Django does it when asked.
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", default=DEBUG)
# Uploads: on this machine's disk (MEDIA_ROOT), or with MEDIA_STORAGE=s3 in an S3-compatible
# bucket that every app server shares, read by readers from AWS_S3_CUSTOM_DOMAIN (the CDN's
# host, or the bucket's own). Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the
# machine's role, read by boto3 itself.
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE == "filesystem":
    if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        refuse_to_start(
            "AWS_STORAGE_BUCKET_NAME is set but MEDIA_STORAGE is not s3: "
            "set MEDIA_STORAGE=s3 to keep uploads in the bucket."
        )
    MEDIA_URL = "/media/"
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    require_scale_extra("MEDIA_STORAGE=s3", "storages", "boto3")
    if not (_bucket := os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()):
        refuse_to_start("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket's name.")
    _media_domain = os.environ.get("AWS_S3_CUSTOM_DOMAIN", "").strip().strip("/")
    if not _media_domain or "://" in _media_domain:
        refuse_to_start(
            "MEDIA_STORAGE=s3 needs AWS_S3_CUSTOM_DOMAIN: the host readers fetch uploads "
            "from (the CDN's, or the bucket's own), without https://, e.g. cdn.example.org."
        )
    _media_location = os.environ.get("AWS_LOCATION", "media").strip("/")
    MEDIA_URL = f"https://{_media_domain}/" + (f"{_media_location}/" if _media_location else "")
    _s3_options = {
        "bucket_name": _bucket,
        "location": _media_location,
        "custom_domain": _media_domain,
        # Readers' URLs carry no expiring signature, so pages and the CDN may keep them.
        "querystring_auth": False,
        # Two uploads named photo.jpg get two objects, as on disk. Names are never reused,
        # so browsers and the CDN may keep each file for good.
        "file_overwrite": False,
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
    }
    for _option, _variable in [
        ("endpoint_url", "AWS_S3_ENDPOINT_URL"),  # an S3-compatible service's API
        ("region_name", "AWS_S3_REGION_NAME"),
        ("addressing_style", "AWS_S3_ADDRESSING_STYLE"),  # path, for some S3-compatibles
    ]:
        if _value := os.environ.get(_variable, "").strip():
            _s3_options[_option] = _value
    if not urlsplit(_s3_options.get("endpoint_url", "https://s3")).netloc:
        refuse_to_start("AWS_S3_ENDPOINT_URL must be a URL, e.g. https://s3.example.org.")
    _media_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    refuse_to_start(f"MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}.")
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


def mailers_from_url(url):
    """Return a MAILERS dict for EMAIL_URL: `smtp://[user:pass@]host:port[?tls=1]` or `console:`."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    if parts.scheme not in {"smtp", "smtps"}:
        refuse_to_start(f"EMAIL_URL must start with smtp://, smtps:// or console:, not {url!r}.")
    query = parse_qs(parts.query)
    options = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 25,
        "timeout": float(query.get("timeout", ["10"])[0]),
        "use_tls": query.get("tls", ["0"])[0].lower() in {"1", "true", "yes", "on"},
        "use_ssl": parts.scheme == "smtps",
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    }


MAILERS = mailers_from_url(os.environ.get("EMAIL_URL", "console:"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Policy Network <newsletter@localhost>")

# Background work: django.tasks, stored in the database by default (`manage.py db_worker`).
TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
_tasks_backend = os.environ.get("TASKS_BACKEND", "database")
if _tasks_backend not in TASK_BACKENDS:
    refuse_to_start(f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_tasks_backend]}}
if _tasks_backend == "rq":
    # The queue lives in Redis; workers run `manage.py rqworker --with-scheduler
    # --job-class django_tasks_rq.Job default` (the scheduler runs retries when they fall due).
    require_scale_extra("TASKS_BACKEND=rq", "django_tasks_rq")
    _tasks_redis_url = os.environ.get("TASKS_REDIS_URL") or os.environ.get("CACHE_URL")
    if not _tasks_redis_url:
        refuse_to_start(
            "TASKS_BACKEND=rq needs TASKS_REDIS_URL (redis://host:port/db) for its queue, "
            "or CACHE_URL to share the cache's Redis."
        )
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": redis_url("TASKS_REDIS_URL", _tasks_redis_url)}}
    TASKS["default"]["QUEUES"] = list(RQ_QUEUES)

# Security. HTTPS settings follow DEBUG: production is HTTPS, `make run` is plain HTTP.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
# Only staff have sessions: they expire after a working day, and when the browser closes.
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_FAILURE_VIEW = "thinktank.views.csrf_failure"
HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    # __Host- cookies are bound to this exact host, over HTTPS, for the whole site.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", default=HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front of gunicorn that append to X-Forwarded-For (a load balancer: 1; a CDN
# and a load balancer: 2). The sign-up rate limit and the admin lockout count the address
# the outermost one saw; with 0 they use the connection's (REMOTE_ADDR).
try:
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
except ValueError:
    PROXY_COUNT = -1
if PROXY_COUNT < 0:
    refuse_to_start("PROXY_COUNT must be the number of proxies in front (0, 1, 2, ...).")
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (Django's built-in middleware): no inline script or style.
# Static files and uploads may come from a CDN's host: exactly those hosts are allowed.
_static_hosts = [host] if (host := origin(STATIC_URL)) else []
_media_hosts = [host] if (host := origin(MEDIA_URL)) and host not in _static_hosts else []
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE, *_static_hosts],
    # The admin's rich-text editor (tiptap) injects one fixed <style> block: allow exactly it.
    # A browser test fails if an upgrade changes it.
    "style-src": [
        CSP.SELF,
        *_static_hosts,
        "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='",
    ],
    "img-src": [CSP.SELF, "data:", *_static_hosts, *_media_hosts],
    "font-src": [CSP.SELF, *_static_hosts],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# Admin brute-force protection (django-axes): a username is locked out from an address
# after a few failures, for a cool-off; everyone else keeps logging in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "newsletter.ratelimit.client_ip"  # honours PROXY_COUNT
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_VERBOSE = False
# The username axes records is cut to its column's length, so no input can crash a login.
AXES_USERNAME_CALLABLE = "thinktank.security.login_username"

TAGGIT_CASE_INSENSITIVE = True

# Newsletter
NEWSLETTER_CONFIRMATION_MAX_AGE = int(os.environ.get("NEWSLETTER_CONFIRMATION_MAX_AGE", 7 * 86400))
NEWSLETTER_RESEND_INTERVAL = 10 * 60  # at most one confirmation email per address per interval
# Sign-ups per IP address per window, as "count/seconds" (5 per 10 minutes).
_rate, _window = os.environ.get("NEWSLETTER_SIGNUP_RATE_LIMIT", "5/600").split("/")
NEWSLETTER_SIGNUP_RATE_LIMIT = (int(_rate), int(_window))
NEWSLETTER_UNCONFIRMED_RETENTION_DAYS = 30
NEWSLETTER_EMAIL_RETRY_DELAYS = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600]  # then give up

# Logs go to stdout: one JSON object a line in production, readable text in development;
# every line carries the request id that is also sent back in the X-Request-ID header.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "thinktank.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": sys.stdout,
            "filters": ["request_id"],
            "formatter": "text" if DEBUG else os.environ.get("LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

# Uploaded images: refused above these (series/images.py), decompression bombs included.
IMAGE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
IMAGE_UPLOAD_MAX_PIXELS = 40_000_000
