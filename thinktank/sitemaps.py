"""The sitemap: an index at /sitemap.xml, then one section each for essays, series,
authors and topics, each split into pages of at most `PAGE_SIZE` URLs.

Every `<loc>` is built from `settings.SITE_URL`, never from the request's host.

Pages are ranges of primary keys, not numbered slices of a sorted list: page n lists the
items whose pk falls in the n-th block of `limit` pks from the first published one. A
page is then one index range scan whichever page it is, with no COUNT over the section
and no OFFSET; a page rarely changes (new work lands on the last page), so crawlers may
trust its lastmod. Blocks of drafts or deleted items leave pages short, never wrong.

Each section's newest change (for the index, and each page's Last-Modified) is read
from the top of an index on when published items changed: one row, not a pass over all.
"""

import math

from django.conf import settings
from django.contrib.sitemaps.views import x_robots_tag
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Exists, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest, Now
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import dateformat
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.timezone import localdate, localtime
from taggit.models import Tag

from essays.models import Author, Essay, EssayAuthor, TaggedEssay
from essays.views import topics_in_use
from series.links import slug_urls
from series.models import Series, Status, TaggedSeries

# About what a listing page shows, so a page of the sitemap costs about what a listing
# page does, and the same at 100 essays as at 100,000: a larger page costs more in
# proportion. The index of a 100,000-essay site then lists about a thousand pages (the
# protocol allows 50,000), each a cheap fetch.
PAGE_SIZE = 100
XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def changed_at(prefix=""):
    """Return when published work last changed for readers: edited, or went live if later."""
    return Greatest(f"{prefix}updated_at", f"{prefix}published_at")


def latest_published_essay_change(prefix):
    """Return a Max() over the published essays reached through `prefix` (e.g. "essays__")."""
    return Max(
        changed_at(prefix),
        filter=Q(**{f"{prefix}status": Status.PUBLISHED, f"{prefix}published_at__lte": Now()}),
    )


def newest_change(queryset):
    """Return a subquery: the latest change among `queryset`'s published items.

    Ordered by the changed expression (the `*_changed_idx` indexes), so the database
    reads one index entry instead of aggregating over every item.
    """
    return Subquery(
        queryset.annotate(changed=changed_at()).order_by("-changed").values("changed")[:1]
    )


def latest(anchor, *changes):
    """Return the latest of `changes` (newest_change() subqueries), or None.

    Read in one query, from any row of `anchor`: a model with a row whenever there is a
    change to find.
    """
    names = [f"change_{number}" for number in range(len(changes))]
    row = (
        anchor.objects.order_by("pk")  # any row, found through the primary key
        .annotate(**dict(zip(names, changes, strict=True)))
        .values_list(*names)
        .first()
    )
    return max((value for value in row or () if value is not None), default=None)


class RangePage:
    def __init__(self, object_list, number):
        self.object_list = object_list
        self.number = number


class RangePaginator:
    """Pages of `items` by blocks of `limit` primary keys; `bounds` is a queryset whose
    smallest and largest pk the blocks span (the section's published items)."""

    def __init__(self, items, bounds, limit):
        self.items = items
        self.bounds = bounds
        self.limit = limit

    @cached_property
    def span(self):
        return self.bounds.aggregate(first=Min("pk"), last=Max("pk"))

    @property
    def num_pages(self):
        first, last = self.span["first"], self.span["last"]
        return 1 if first is None else math.ceil((last - first + 1) / self.limit)

    def page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not an integer") from error
        if not 1 <= number <= self.num_pages:
            raise EmptyPage("That page contains no results")
        first = self.span["first"] or 0
        start = first + (number - 1) * self.limit
        items = self.items.filter(pk__gte=start, pk__lt=start + self.limit).order_by("pk")
        return RangePage(items, number)


class SiteSitemap:
    """A section: pages named by slug under `viewname`, the items' `last_changed` their
    lastmod, located under SITE_URL."""

    limit = PAGE_SIZE
    viewname = None

    def items(self):
        """Return the section's items, annotated with `last_changed`."""
        raise NotImplementedError

    def bounds(self):
        """Return the items whose pks the section's pages span."""
        raise NotImplementedError

    @cached_property
    def paginator(self):
        return RangePaginator(self.items(), self.bounds(), self.limit)

    def rows(self, page):
        """Return the (slug, last_changed) of the items on `page` (a number, as given)."""
        return self.paginator.page(page).object_list.values_list("slug", "last_changed")


class EssaySitemap(SiteSitemap):
    viewname = "essays:detail"

    def items(self):
        return (
            Essay.objects.published()
            .only("slug", "updated_at", "published_at")
            .annotate(last_changed=changed_at())
        )

    def bounds(self):
        return Essay.objects.published()

    def get_latest_lastmod(self):
        return latest(Essay, newest_change(Essay.objects.published()))


class SeriesSitemap(SiteSitemap):
    """Series: a series page changes when the series or one of its published essays does."""

    viewname = "series:detail"

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
        )

    def bounds(self):
        return Series.objects.published()

    def get_latest_lastmod(self):
        return latest(
            Series,
            newest_change(Series.objects.published()),
            newest_change(
                Essay.objects.published().filter(
                    series__status=Status.PUBLISHED, series__published_at__lte=Now()
                )
            ),
        )


class AuthorSitemap(SiteSitemap):
    """Authors with a published essay; their page changes when one of those essays does."""

    viewname = "essays:author"

    def items(self):
        return (
            Author.objects.only("slug")
            .annotate(last_changed=latest_published_essay_change("essays__"))
            .filter(last_changed__isnull=False)
        )

    def bounds(self):
        return Author.objects.all()

    def get_latest_lastmod(self):
        credited = Exists(EssayAuthor.objects.filter(essay=OuterRef("pk")))
        return latest(Essay, newest_change(Essay.objects.published().filter(credited)))


def newest_item_change(tagged_items, model):
    """Return a subquery: when the topic's newest published item (by pk) last changed.

    The walk topics_in_use() makes, down the topic's index: a step or two per topic.
    """
    item = model.objects.filter(pk=OuterRef("content_object_id"), status=Status.PUBLISHED)
    return Subquery(
        tagged_items.alias(item_published_at=Subquery(item.order_by().values("published_at")))
        .filter(tag=OuterRef("pk"), item_published_at__lte=Now())
        .annotate(item_changed=Subquery(item.order_by().annotate(c=changed_at()).values("c")))
        .order_by("-content_object_id")
        .values("item_changed")[:1]
    )


class TopicSitemap(SiteSitemap):
    """Topics that published work carries. A topic page lists its newest work first: it
    changed when its newest essay or series did."""

    viewname = "essays:topic"

    def items(self):
        return topics_in_use().annotate(
            essays_changed=newest_item_change(TaggedEssay.objects, Essay),
            series_changed=newest_item_change(TaggedSeries.objects, Series),
            last_changed=Greatest(
                Coalesce(F("essays_changed"), F("series_changed")),
                Coalesce(F("series_changed"), F("essays_changed")),
            ),
        )

    @cached_property
    def paginator(self):
        # Topics are few (a site has dozens, not thousands): numbered pages do.
        return Paginator(self.items().values_list("slug", "last_changed"), self.limit)

    def rows(self, page):
        return self.paginator.page(page).object_list

    def get_latest_lastmod(self):
        return latest(
            Tag,
            newest_change(Essay.objects.published().filter(topics__isnull=False)),
            newest_change(Series.objects.published().filter(topics__isnull=False)),
        )


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
    Written out directly rather than through the template: a large site's index lists
    a thousand pages, and each section's pages share one lastmod.
    """
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<sitemapindex xmlns="{XMLNS}">']
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        location = escape(
            settings.SITE_URL + reverse("sitemap-section", kwargs={"section": section})
        )
        lastmod = sitemap.get_latest_lastmod()
        tail = f"<lastmod>{dateformat.format(localtime(lastmod), 'c')}</lastmod>" if lastmod else ""
        parts.append(f"<sitemap><loc>{location}</loc>{tail}</sitemap>")
        parts.extend(
            f"<sitemap><loc>{location}?p={page}</loc>{tail}</sitemap>"
            for page in range(2, sitemap.paginator.num_pages + 1)
        )
    parts.append("</sitemapindex>\n")
    return HttpResponse("".join(parts), content_type="application/xml")


@x_robots_tag
def section(request, section):
    """Return a page of a section: its items' SITE_URL-based locations and lastmod dates.

    Django's sitemap view, written out directly: it loaded each item as a model instance
    and rendered each URL through a template, 9 ms for a page of a hundred.
    """
    if section not in SITEMAPS:
        raise Http404(f"No sitemap section {section!r}")
    sitemap = SITEMAPS[section]()
    try:
        rows = list(sitemap.rows(request.GET.get("p", 1)))
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("No such page of the sitemap") from error
    url_of = slug_urls(sitemap.viewname)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<urlset xmlns="{XMLNS}" xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for slug, last_changed in rows:
        lastmod = f"<lastmod>{localdate(last_changed)}</lastmod>" if last_changed else ""
        parts.append(f"<url><loc>{escape(settings.SITE_URL + url_of(slug))}</loc>{lastmod}</url>")
    parts.append("</urlset>\n")
    response = HttpResponse("".join(parts), content_type="application/xml")
    # As Django's view: when every item has a lastmod, the page changed at the latest.
    if rows and all(last_changed for _, last_changed in rows):
        response["Last-Modified"] = http_date(max(row[1] for row in rows).timestamp())
    return response
