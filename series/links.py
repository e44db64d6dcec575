"""URLs of the site's pages, worked out once per process.

A listing links every card's essay, series, authors and topics, and every page's header
and footer link the same few pages: a hundred or more URLs a page, and `reverse()` costs
tens of microseconds each. A URL only changes with the URLconf or the script prefix, so
both are part of the memos' keys.
"""

from functools import lru_cache, partial

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def page_url(viewname: str) -> str:
    """Return `reverse(viewname)`, for a page that takes no arguments."""
    return _page_url(viewname, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def slug_url(viewname: str, slug: str) -> str:
    """Return `reverse(viewname, kwargs={"slug": slug})`."""
    return slug_urls(viewname)(slug)


def slug_urls(viewname: str):
    """Return a function of a slug giving its `slug_url`, for linking many at once.

    The script prefix and URLconf are per request (thread or task): read them once here.
    """
    return partial(_slug_url, viewname, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@lru_cache(maxsize=20_000)
def _slug_url(viewname, script_prefix, urlconf, slug):
    return reverse(viewname, urlconf=urlconf, kwargs={"slug": slug})


@lru_cache(maxsize=100)
def _page_url(viewname, script_prefix, urlconf):
    return reverse(viewname, urlconf=urlconf)
