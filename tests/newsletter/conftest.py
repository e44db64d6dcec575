"""Newsletter fixtures: a real SMTP server on loopback, and the task worker.

Django's test environment swaps every MAILERS alias for the locmem backend when the session
starts; overriding `settings.MAILERS` afterwards (through pytest-django's `settings` fixture)
is read again on every send, so the emails in these tests really travel over SMTP.
"""

import signal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django_tasks_db.management.commands import db_worker

from tests.newsletter.helpers import SITE_URL, SMTPServer


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    """Links in emails start with a production-like https SITE_URL; the cache starts empty."""
    settings.SITE_URL = SITE_URL
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server on loopback, with MAILERS pointing at it."""
    server = SMTPServer()
    server.start()
    settings.MAILERS = server.mailers()
    yield server
    server.stop()


@pytest.fixture
def stopped_smtp_server(settings):
    """An SMTP server that is down (nothing listens on its port) until the test starts it."""
    server = SMTPServer()
    settings.MAILERS = server.mailers()
    yield server
    server.stop()


@pytest.fixture
def run_worker(monkeypatch):
    """Return a function that runs the database task worker until no task is ready.

    The worker closes "old" database connections between tasks, as a long-running process
    should; inside a test's transaction that would close the test's own connection, so it
    is switched off here (as Django's TestCase does for the request signals).
    """
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run():
        # db_worker installs its own SIGINT/SIGTERM handlers: give pytest its own back.
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run
