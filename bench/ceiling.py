"""The framework's ceiling: a bare Django view returning a fixed ~20 KB HTML page.

Served by gunicorn with the same settings as the site (`gunicorn bench.ceiling`), so the
benchmark can say how close each real page comes to what Django itself does here.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

PARAGRAPH = (
    "<p>Co-operative societies can help overcome the environmental, social and economic "
    "problems that neither the private market nor the state have been able to answer.</p>\n"
)
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Ceiling</title></head>"
    "<body><main>" + PARAGRAPH * 120 + "</main></body></html>"
).encode()


def page(request):
    return HttpResponse(PAGE)


urlpatterns = [path("", page)]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-ceiling-only"),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    )

application = get_wsgi_application()
