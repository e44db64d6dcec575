# Thinktank: `make run` for a local site with demo content, `make test` for everything CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/thinktank
# Tests run with debug off, as in production, but over plain HTTP on loopback.
TEST_ENV := DJANGO_SECRET_KEY=test-only-not-secret DJANGO_HTTPS=0

# Python >= 3.12 (Django 6.1 needs it): .python-version asks pyenv for 3.13.
BASE_PYTHON := $(shell for p in python3.13 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)

.PHONY: help venv run migrate demo worker test lint check-migrations test-postgres test-sqlite test-browser chromium bench wrk clean

help:
	@echo "make run    build the venv, migrate, load demo content, start worker and server on http://$(HOST):$(PORT)"
	@echo "make test   lint, migrations check, suite on PostgreSQL, SQLite smoke run, browser tests"
	@echo "make bench  serve the site and a bare Django page with gunicorn on loopback, load both with wrk"

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(BASE_PYTHON)" ]; then \
		echo "No Python >= 3.12 found (Django 6.1 needs it). Install 3.13 (pyenv install 3.13) or put python3.13 on PATH." >&2; \
		exit 1; fi
	@[ -x $(PY) ] || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

migrate: venv
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input

demo: migrate
	DJANGO_DEBUG=1 $(PY) manage.py load_demo_content

run: demo
	@mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py db_worker >var/worker.log 2>&1 & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	echo "Background worker running (log: var/worker.log)."; \
	DJANGO_DEBUG=1 SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py ensure_admin; \
	DJANGO_DEBUG=1 SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

test: lint check-migrations test-postgres test-sqlite test-browser

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-migrations: venv
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

test-postgres: venv
	$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -m "not browser" -p no:cacheprovider

# The embedded default must keep working: migrate, load the demo, render every page type.
test-sqlite: venv
	$(TEST_ENV) DATABASE_URL=sqlite:///var/test-smoke.sqlite3 $(PY) -m pytest tests/test_smoke.py -p no:cacheprovider

test-browser: venv chromium
	$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) DJANGO_ALLOW_ASYNC_UNSAFE=1 $(PY) -m pytest -m browser -p no:cacheprovider

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium from Debian for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Loopback only, bounded: BENCH_ESSAYS, BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS tune it.
bench: venv wrk
	$(PY) bench/run.py

wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing wrk from Debian for the benchmark"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
