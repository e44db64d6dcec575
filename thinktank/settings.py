"""Settings for Thinktank, driven by environment variables (see README "Configuration")."""

import os
import sys
from datetime import timedelta
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
    "django.middleware.security.SecurityMiddleware",
    "thinktank.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Readers' public pages from the cache, before sessions and the rest: see pagecache.py.
    "thinktank.pagecache.PageCacheMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis through CACHE_URL, else per-process local memory.
if cache_url := os.environ.get("CACHE_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_url}
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

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Production serves uploads from the web server or object storage; Django does it when asked.
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (Django's built-in middleware): no inline script or style.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # The admin's rich-text editor (tiptap) injects one fixed <style> block: allow exactly it.
    # A browser test fails if an upgrade changes it.
    "style-src": [CSP.SELF, "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
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
