"""The sitemap: an index at /sitemap.xml, then one section each for essays, series,
authors and topics, split into pages of 50,000 URLs when a section outgrows one.

Every `<loc>` is built from `settings.SITE_URL`, never from the request's host. Each
section's `items()` annotates `last_changed`, so a page of the sitemap costs two queries
(count, then the page) however many URLs it lists, and the index one aggregate a section.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest, Now
from django.template.response import TemplateResponse
from django.urls import reverse

from essays.models import Author, Essay, TaggedEssay
from essays.views import topics_in_use
from series.models import Series, Status, TaggedSeries


def changed_at(prefix=""):
    """Return when published work last changed for readers: edited, or went live if later."""
    return Greatest(f"{prefix}updated_at", f"{prefix}published_at")


def latest_published_essay_change(prefix):
    """Return a Max() over the published essays reached through `prefix` (e.g. "essays__")."""
    return Max(
        changed_at(prefix),
        filter=Q(**{f"{prefix}status": Status.PUBLISHED, f"{prefix}published_at__lte": Now()}),
    )


def latest_change_of(tagged_items):
    """Return a subquery: the latest change among the published items tagged with the tag."""
    return Subquery(
        tagged_items.filter(tag=OuterRef("pk"))
        .annotate(changed=changed_at("content_object__"))
        .order_by("-changed")
        .values("changed")[:1]
    )


class SiteSitemap(Sitemap):
    """A section whose URLs and lastmod come from SITE_URL and a `last_changed` annotation."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        parts = urlsplit(settings.SITE_URL)
        return parts.netloc + parts.path  # a SITE_URL with a path prefix keeps it

    def lastmod(self, item):
        return item.last_changed

    def get_latest_lastmod(self):
        return self.items().aggregate(latest=Max("last_changed"))["latest"]


class EssaySitemap(SiteSitemap):
    def items(self):
        return (
            Essay.objects.published()
            .only("slug", "updated_at", "published_at")
            .annotate(last_changed=changed_at())
            .order_by("-published_at", "-pk")
        )


class SeriesSitemap(SiteSitemap):
    """Series: a series page changes when the series or one of its published essays does."""

    def items(self):
        return (
            Series.objects.published()
            .only("slug", "updated_at", "published_at")
            .annotate(
                last_changed=Greatest(
                    changed_at(),
                    Coalesce(latest_published_essay_change("essays__"), changed_at()),
                )
            )
            .order_by("-published_at", "-pk")
        )


class AuthorSitemap(SiteSitemap):
    """Authors with a published essay; their page changes when one of those essays does."""

    def items(self):
        return (
            Author.objects.only("slug")
            .annotate(last_changed=latest_published_essay_change("essays__"))
            .filter(last_changed__isnull=False)
            .order_by("name", "pk")
        )


class TopicSitemap(SiteSitemap):
    """Topics that published work carries; their page changes when that work does."""

    def items(self):
        published_essays = TaggedEssay.objects.filter(content_object__in=Essay.objects.published())
        published_series = TaggedSeries.objects.filter(
            content_object__in=Series.objects.published()
        )
        essays_changed = latest_change_of(published_essays)
        series_changed = latest_change_of(published_series)
        return topics_in_use().annotate(
            essays_changed=essays_changed,
            series_changed=series_changed,
            last_changed=Greatest(
                Coalesce(F("essays_changed"), F("series_changed")),
                Coalesce(F("series_changed"), F("essays_changed")),
            ),
        )

    def location(self, topic):
        return reverse("essays:topic", kwargs={"slug": topic.slug})


SITEMAPS = {
    "essays": EssaySitemap,
    "series": SeriesSitemap,
    "authors": AuthorSitemap,
    "topics": TopicSitemap,
}


@x_robots_tag
def index(request):
    """Return the sitemap index: each section's pages, with SITE_URL-based locations.

    Django's own index view takes the domain from the request, so this one replaces it.
    """
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        location = settings.SITE_URL + reverse("sitemap-section", kwargs={"section": section})
        lastmod = sitemap.get_latest_lastmod()
        entries.append(SitemapIndexItem(location, lastmod))
        entries += [
            SitemapIndexItem(f"{location}?p={page}", lastmod)
            for page in range(2, sitemap.paginator.num_pages + 1)
        ]
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )
