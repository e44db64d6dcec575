import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from essays.models import Essay
from essays.views import attach_contributors, published_series_with_cards
from series.models import DEFAULT_SITE_NAME

HOME_SERIES = 3
HOME_ESSAYS = 6


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        series = list(published_series_with_cards()[:HOME_SERIES])
        attach_contributors(series)
        context["latest_series"] = series
        context["latest_essays"] = Essay.objects.published().with_listing_data()[:HOME_ESSAYS]
        return context


@never_cache
def healthz(request):
    """Answer 200 when the database answers, 503 (with what is down) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def robots_txt(request):
    """Return robots.txt, pointing crawlers to the sitemap on the public site."""
    sitemap_url = settings.SITE_URL + reverse("sitemap")
    text = loader.render_to_string("robots.txt", {"sitemap_url": sitemap_url})
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


DATABASE_RETRY_AFTER = 30  # seconds


def server_error(request):
    """Answer an unhandled error; a database outage gets 503 and Retry-After instead.

    Rendered without the request, so no context processor touches what may have failed.
    """
    context = {"site": {"name": DEFAULT_SITE_NAME}}
    if isinstance(sys.exception(), (OperationalError, InterfaceError)):
        html = loader.get_template("503.html").render(context)
        response = HttpResponse(html, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render(context))
