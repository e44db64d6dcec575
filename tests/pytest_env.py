"""Test-run defaults, loaded as a plugin (`-p tests.pytest_env`) before Django reads settings.

`make test` sets these too; the defaults let a bare `pytest` run against local PostgreSQL.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("TASKS_BACKEND", "database")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/thinktank")
