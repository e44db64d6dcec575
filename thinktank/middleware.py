from django.contrib.redirects.middleware import RedirectFallbackMiddleware
from django.contrib.redirects.models import Redirect
from django.contrib.sites.shortcuts import get_current_site


class QueryAwareRedirectFallbackMiddleware(RedirectFallbackMiddleware):
    """Django's redirect fallback, which also matches an old URL that arrives with a query
    string (a shared link with ?utm_source=…), carrying the query string along."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.status_code != 404 or not request.META.get("QUERY_STRING"):
            return response
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
