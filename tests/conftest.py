import pytest
from django.test import override_settings


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
