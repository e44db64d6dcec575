"""Newsletter fixtures: links in emails and the cache.

The real SMTP server (`smtp_server`, `stopped_smtp_server`) and the task worker (`run_worker`)
come from tests/conftest.py, built on tests/mail.py.
"""

import pytest
from django.core.cache import cache

from tests.newsletter.helpers import SITE_URL


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    """Links in emails start with a production-like https SITE_URL; the cache starts empty."""
    settings.SITE_URL = SITE_URL
    cache.clear()
    yield
    cache.clear()
