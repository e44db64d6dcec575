import re
import uuid

from django.conf import settings
from django.contrib.redirects.middleware import RedirectFallbackMiddleware
from django.contrib.redirects.models import Redirect
from django.contrib.sites.shortcuts import get_current_site

from thinktank.logging import request_id


class QueryAwareRedirectFallbackMiddleware(RedirectFallbackMiddleware):
    """Django's redirect fallback, which also matches an old URL that arrives with a query
    string (a shared link with ?utm_source=…), carrying the query string along."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.status_code != 404 or not request.META.get("QUERY_STRING"):
            return response
        if "\x00" in request.path:
            return response  # no stored path contains NUL, and the database refuses it
        redirect = Redirect.objects.filter(
            site=get_current_site(request), old_path=request.path
        ).first()
        if redirect is None:
            return response
        if not redirect.new_path:
            return self.response_gone_class()
        separator = "&" if "?" in redirect.new_path else "?"
        query = request.META["QUERY_STRING"]
        return self.response_redirect_class(f"{redirect.new_path}{separator}{query}")


_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


def request_id_for(meta):
    """The proxy's X-Request-ID when it is sane, else a new one."""
    incoming = meta.get("HTTP_X_REQUEST_ID", "")
    return incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id (the proxy's X-Request-ID when it is sane), put it on every
    log line written while serving it, and send it back in the X-Request-ID header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id_for(request.META)
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class PermissionsPolicyMiddleware:
    """Switch off browser features the site never uses (camera, geolocation, …)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
