from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Now
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.generic import DetailView, TemplateView
from taggit.models import Tag

from essays import citations, pagination, search
from essays.metadata import author_meta, essay_meta
from essays.models import Author, Credit, Essay, EssayAuthor, TaggedEssay
from series.models import Series, SiteSettings, Status, TaggedSeries
from series.prefetch import CompiledRows, KeyedRows
from series.views import PreviewableMixin

PAGE_SIZE = pagination.PAGE_SIZE


def published_series_with_cards():
    """Return published series with what a listing card shows: topics and essay count.

    The count is a subquery per series shown, not a join grouped over every essay: a
    page of three series then reads three series' essays, however many essays there are.
    """
    essay_count = (
        Essay.objects.published()
        .filter(series=OuterRef("pk"))
        .order_by()
        .values("series")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Series.objects.published()
        .annotate(essay_count=Coalesce(Subquery(essay_count), 0))
        .prefetch_related(Prefetch("topic_links", to_attr="listed_topics"))
        .defer("intro", "search_document")
        .order_by("-published_at", "-pk")
    )


# The authors of every series' published essays, in reading order: published() spelled out
# through the join, as a subquery costs the database twice the planning.
SERIES_CONTRIBUTORS = KeyedRows(
    lambda: (
        EssayAuthor.objects.filter(essay__status=Status.PUBLISHED, essay__published_at__lte=Now())
        .order_by("essay__series_position", "essay__published_at", "position")
        .values_list("essay__series_id", "author__name", "author__slug")
    ),
    owner="essay__series",
)


# A series' published essays, in reading order: the essay page's "Part 2 of 5" navigation.
SERIES_PARTS = KeyedRows(
    lambda: (
        Essay.objects.published()
        .order_by("series_position", "published_at", "pk")
        .values_list("series_id", "pk", "title", "slug")
    ),
    owner="series",
)


def attach_contributors(series_list):
    """Set `contributors` on each series: its published essays' authors, in reading order.

    One query for the whole page, however many series it shows.
    """
    by_series = {series.pk: {} for series in series_list}
    for series_id, name, slug in SERIES_CONTRIBUTORS.fetch(by_series.keys()):
        by_series[series_id].setdefault((name, slug), Credit(series_id, name, slug))
    for series in series_list:
        series.contributors = list(by_series[series.pk].values())


def topics_in_use():
    """Return the topics that published essays or series carry, by name."""

    def newest_published(tagged_items, model):
        # The topic's newest published item, found by walking the topic's index from its
        # newest item and looking each one up: a step or two for a topic in use, a few
        # for one left on drafts (taggit keeps unused topics). Written so that this is the
        # only plan: a scalar subquery per item is never turned into a join, and the joins
        # the planner picks for EXISTS read the whole essay table when a topic's items are
        # all old ones.
        published_at = Subquery(
            model.objects.filter(pk=OuterRef("content_object_id"), status=Status.PUBLISHED)
            .order_by()
            .values("published_at")
        )
        return Subquery(
            tagged_items.alias(item_published_at=published_at)
            .filter(tag=OuterRef("pk"), item_published_at__lte=Now())
            .order_by("-content_object_id")
            .values("pk")[:1]
        )

    return (
        Tag.objects.alias(
            newest_essay=newest_published(TaggedEssay.objects, Essay),
            newest_series=newest_published(TaggedSeries.objects, Series),
        )
        .filter(Q(newest_essay__isnull=False) | Q(newest_series__isnull=False))
        .order_by("name")
    )


# The Ideas & Debate filter's choices: compiling topics_in_use() costs four times what
# running it does.
TOPIC_CHOICES = CompiledRows(lambda: topics_in_use().values_list("pk", "name", "slug"))


def topic_choices():
    """Return topics_in_use() as topics with a name and slug."""
    return [Tag(pk=pk, name=name, slug=slug) for pk, name, slug in TOPIC_CHOICES.fetch()]


def ideas_sources(topic=None):
    """Return what Ideas & Debate lists, by kind: published series and standalone essays.

    Rows carry only `pk` and `published_at`; the page loads its cards for the rows it shows.
    """
    series = Series.objects.published()
    essays = Essay.objects.published()
    if topic is not None:
        series = series.filter(topics=topic)
        essays = essays.filter(topics=topic)
    # An essay has its own card unless a series card in this listing holds it: checked
    # with one index lookup for each essay in a series that the walk down the date index
    # passes. A scalar subquery, because PostgreSQL turns NOT EXISTS into an anti-join
    # (which reads every essay before the first page) or hashes every listed series; the
    # `series=None` half keeps the planner's estimate of how many essays pass realistic.
    listed_series = Subquery(series.filter(pk=OuterRef("series_id")).order_by().values("pk")[:1])
    essays = essays.alias(listed_series=listed_series).filter(
        Q(series=None) | Q(listed_series__isnull=True)
    )
    return {
        "series": series.values_list("pk", "published_at", named=True),
        "essay": essays.values_list("pk", "published_at", named=True),
    }


def first_page_url(request):
    """Return the listing's first page: this path, keeping only the topic filter."""
    topic = request.GET.get("topic")
    return request.path + (f"?{urlencode({'topic': topic})}" if topic else "")


class KeysetPaginationMixin:
    """Serve a newest-first listing a page at a time, by cursor (see essays.pagination).

    `?page=N` links from before cursors redirect to the first page, for good: numbered
    pages drifted as work was published, so no old page N still shows what it did. A
    malformed cursor, or one past the oldest entry, is a 404; a "Newer" link that reaches
    the newest entries lands on the first page, the one URL they have.
    """

    def get(self, request, *args, **kwargs):
        if "page" in request.GET:
            return HttpResponsePermanentRedirect(first_page_url(request))
        try:
            self.cursor = pagination.cursor_from(request.GET)
        except pagination.InvalidCursor:
            raise Http404("No such page.") from None
        return super().get(request, *args, **kwargs)

    def paginate(self, sources):
        """Return the requested page (a `pagination.Window`) of `sources`."""
        window = pagination.window(sources, self.cursor)
        if self.cursor is not None and not window.entries and not window.reached_the_newest:
            raise Http404("No such page.")
        return window

    def render_to_response(self, context, **response_kwargs):
        window = context.get("window")
        if window is not None and window.reached_the_newest:
            return HttpResponseRedirect(first_page_url(self.request))
        return super().render_to_response(context, **response_kwargs)


class IdeasView(KeysetPaginationMixin, TemplateView):
    """ "Ideas & Debate": series and standalone essays together, newest first."""

    template_name = "essays/ideas.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # One query gives the filter's choices and, from them, the chosen topic.
        topics = topic_choices()
        topic = None
        if topic_slug := self.request.GET.get("topic"):
            topic = next((t for t in topics if t.slug == topic_slug), None)
            if topic is None:
                raise Http404("No published work under this topic.")
        window = self.paginate(ideas_sources(topic))
        crumbs = [{"title": "Ideas & Debate", "url": reverse("essays:ideas") if topic else None}]
        if topic:
            crumbs.append({"title": topic.name})
        context.update(
            topic=topic,
            topics=topics,
            window=window,
            entries=self.load_entries(window.entries),
            crumbs=crumbs,
        )
        return context

    @staticmethod
    def load_entries(rows):
        """Return the page's series and essays, in the page's order, with their card data."""
        rows = [(kind, row.pk) for kind, row in rows]
        series_ids = [pk for kind, pk in rows if kind == "series"]
        essay_ids = [pk for kind, pk in rows if kind == "essay"]
        series = published_series_with_cards().in_bulk(series_ids) if series_ids else {}
        attach_contributors(list(series.values()))
        essays = Essay.objects.with_listing_data().in_bulk(essay_ids) if essay_ids else {}
        loaded = {"series": series, "essay": essays}
        return [
            {"kind": kind, "object": loaded[kind][pk]} for kind, pk in rows if pk in loaded[kind]
        ]


class EssayDetailView(PreviewableMixin, DetailView):
    model = Essay
    context_object_name = "essay"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("series")
            .defer("search_document", "series__intro", "series__search_document")
            .prefetch_related(
                Prefetch("author_credits", to_attr="listed_authors"),
                Prefetch("topic_links", to_attr="listed_topics"),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        essay = self.object
        crumbs = [{"title": "Ideas & Debate", "url": reverse("essays:ideas")}]
        if essay.series and (essay.series.is_published or self.is_preview_allowed()):
            context["series"] = essay.series
            crumbs.append({"title": essay.series.title, "url": essay.series.get_absolute_url()})
            parts = [
                {"pk": pk, "title": title, "slug": slug}
                for _, pk, title, slug in SERIES_PARTS.fetch([essay.series_id])
            ]
            index = next((i for i, part in enumerate(parts) if part["pk"] == essay.pk), None)
            if index is not None:
                context.update(
                    part_number=index + 1,
                    part_count=len(parts),
                    previous_part=parts[index - 1] if index > 0 else None,
                    next_part=parts[index + 1] if index + 1 < len(parts) else None,
                )
        context["crumbs"] = [*crumbs, {"title": essay.title}]
        if essay.is_published:
            # Read here, and given to the template as `site`, so the page still reads it once.
            context["site"] = site = SiteSettings.load()
            citation = citations.Citation.for_essay(essay, site.name, citations.essay_url(essay))
            context["citations"] = citations.formatted(citation)
            context["meta"] = essay_meta(essay, context["crumbs"], citation)
        return context


CITATION_DOWNLOADS = {
    "bib": (citations.bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": (citations.ris, "application/x-research-info-systems; charset=utf-8"),
}


def citation_download(request, slug, extension):
    """Return a published essay's citation as a BibTeX or RIS file for reference managers."""
    essay = get_object_or_404(
        Essay.objects.published()
        .select_related("series")
        .prefetch_related(
            Prefetch("bylines", queryset=EssayAuthor.objects.select_related("author"))
        ),
        slug=slug,
    )
    formatter, content_type = CITATION_DOWNLOADS[extension]
    citation = citations.Citation.for_essay(
        essay, SiteSettings.load().name, citations.essay_url(essay)
    )
    response = HttpResponse(formatter(citation).encode(), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{essay.slug}.{extension}"
    )
    return response


class AuthorDetailView(KeysetPaginationMixin, DetailView):
    model = Author
    context_object_name = "author"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        essays = Essay.objects.published().filter(authors=self.object).with_listing_data()
        context["window"] = window = self.paginate({"essay": essays})
        context["essays"] = [essay for _, essay in window.entries]
        context["meta"] = author_meta(self.object)
        return context


TOPIC_SERIES = 4


class TopicDetailView(KeysetPaginationMixin, TemplateView):
    """A topic's essays, newest first; its newest series on the first page."""

    template_name = "essays/topic_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        topic = get_object_or_404(Tag, slug=self.kwargs["slug"])
        essays = Essay.objects.published().filter(topics=topic).with_listing_data()
        context["window"] = window = self.paginate({"essay": essays})
        context["essays"] = [essay for _, essay in window.entries]
        context["topic"] = topic
        context["crumbs"] = [
            {"title": "Ideas & Debate", "url": reverse("essays:ideas")},
            {"title": topic.name},
        ]
        if self.cursor is None:
            # A few series, not all: at scale a topic holds hundreds. The rest are a click
            # away in Ideas & Debate, filtered by this topic.
            series = list(published_series_with_cards().filter(topics=topic)[: TOPIC_SERIES + 1])
            context["more_series"] = len(series) > TOPIC_SERIES
            context["series_list"] = series = series[:TOPIC_SERIES]
            attach_contributors(series)
            if not context["essays"] and not series:
                raise Http404("No published work under this topic.")
        return context


class SearchView(TemplateView):
    """Full-text search: any input gives a page, never an error."""

    template_name = "essays/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = search.clean_query(self.request.GET.get("q", ""))
        context.update(query=query, crumbs=[{"title": "Search"}])
        if not query:
            return context
        finder = search.Search(query)
        # A bounded list of results (search.MAX_RESULTS), paged in memory: no COUNT.
        page = Paginator(finder.rows(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, hits=finder.hits(list(page)), more_results=finder.more)
        if not page.paginator.count:
            context["suggested_topics"] = list(topics_in_use()[:12])
        return context
