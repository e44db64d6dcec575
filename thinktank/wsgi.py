"""WSGI entry point, served by gunicorn in production: `gunicorn thinktank.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinktank.settings")

django_application = get_wsgi_application()

from thinktank.pagecache import PageCacheApp  # noqa: E402 - needs the settings loaded

# Readers' requests for stored pages are answered before Django's request handling.
application = PageCacheApp(django_application)
