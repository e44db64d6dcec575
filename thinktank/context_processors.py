from django.conf import settings
from django.utils.functional import SimpleLazyObject

from series.models import SiteSettings


def site(request):
    """Give every template the site's name, tagline and about text (one query, when used)."""
    return {"site": SimpleLazyObject(SiteSettings.load), "SITE_URL": settings.SITE_URL}
