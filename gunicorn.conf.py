"""gunicorn settings read from the working directory: `gunicorn thinktank.wsgi`.

gunicorn's own lines (worker boot, timeouts) go to stdout as JSON, like the app's.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# A worker is replaced after this many requests: a net for slow leaks, not a routine.
# Each replacement starts with an empty local page cache and cold templates, so at a burst's
# few thousand requests a second, 2,000 meant every worker restarting every second or two.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
timeout = 30
# Load the app in the master: workers share its memory, and a misconfigured app stops the
# server at once with its one-line explanation instead of failing in every worker.
preload_app = True
accesslog = None  # the proxy in front logs requests; the app logs what matters
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "filters": {"request_id": {"()": "thinktank.logging.RequestIdFilter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
            "stream": "ext://sys.stdout",
        }
    },
    # gunicorn merges this over its defaults, whose root logger names a handler we replace.
    # LOG_LEVEL, as for the app's own lines: this config wins over gunicorn's --log-level.
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # A logging config switches gunicorn's access log on whatever `accesslog` says:
        # silence it here, or every request costs a JSON line.
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
