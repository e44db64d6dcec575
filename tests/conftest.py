import pytest
from django.test import override_settings
from django_tasks_db.management.commands import db_worker

from tests.mail import run_db_worker, running_smtp_server


@pytest.fixture(scope="session", autouse=True)
def _static_files_without_collectstatic():
    """Serve static files from the source folders: tests must not need `collectstatic`.

    Production keeps whitenoise's hashed, compressed manifest storage.
    """
    with override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=True,
        WHITENOISE_AUTOREFRESH=True,
    ):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp_path(settings, tmp_path):
    """Keep uploads made by a test inside that test's temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _staff_user(django_user_model, username, group=None):
    user = django_user_model.objects.create_user(username=username, is_staff=True)
    if group:
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def staff_user(db, django_user_model):
    """A staff member with no role: may preview drafts on the public site."""
    return _staff_user(django_user_model, "staff")


@pytest.fixture
def editor(db, django_user_model):
    """A staff member in the "Editor" group created by the roles migration."""
    return _staff_user(django_user_model, "editor", group="Editor")


@pytest.fixture
def contributor(db, django_user_model):
    """A staff member in the "Contributor" group created by the roles migration."""
    return _staff_user(django_user_model, "contributor", group="Contributor")


# Email: a real SMTP server on loopback and the task worker (see tests/mail.py) -----------


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server on loopback, with MAILERS pointing at it."""
    with running_smtp_server(settings) as server:
        yield server


@pytest.fixture
def stopped_smtp_server(settings):
    """An SMTP server that is down (nothing listens on its port) until the test starts it."""
    with running_smtp_server(settings, started=False) as server:
        yield server


@pytest.fixture
def run_worker(monkeypatch):
    """Return a function that runs the database task worker until no task is ready.

    The worker closes "old" database connections between tasks, as a long-running process
    should; inside a test's transaction that would close the test's own connection, so it
    is switched off here (as Django's TestCase does for the request signals).
    """
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return run_db_worker


@pytest.fixture
def page_cache_off(settings):
    """Render every page afresh, for tests that change rows behind the ORM's back (a
    queryset `update()` standing for time passing) and so outside the cache's knowledge."""
    settings.PAGE_CACHE = False


@pytest.fixture(autouse=True)
def _cold_page_cache():
    """Start each test with an empty page cache and a clock that asks the database: a
    rolled-back test's content versions come round again in the next one."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    from thinktank import pagecache

    for clock in pagecache._file_clocks.values():
        clock.forget()
    if isinstance(caches["default"], LocMemCache):  # never flush a Redis others share
        caches["default"].clear()
