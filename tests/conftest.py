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
