from django.core.paginator import Paginator
from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Now
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.generic import DetailView, ListView, TemplateView
from taggit.models import Tag

from essays import citations, search
from essays.metadata import author_meta, essay_meta
from essays.models import Author, Credit, Essay, EssayAuthor, TaggedEssay
from series.models import Series, SiteSettings, Status, TaggedSeries
from series.views import PreviewableMixin

PAGE_SIZE = 20


def published_series_with_cards():
    """Return published series with what a listing card shows: topics and essay count."""
    return (
        Series.objects.published()
        .annotate(
            essay_count=Count(
                "essays",
                filter=Q(essays__status=Status.PUBLISHED, essays__published_at__lte=Now()),
            )
        )
        .prefetch_related(Prefetch("topic_links", to_attr="listed_topics"))
        .defer("intro", "search_document")
        .order_by("-published_at", "-pk")  # annotating with Count drops Meta.ordering
    )


def attach_contributors(series_list):
    """Set `contributors` on each series: its published essays' authors, in reading order.

    One query for the whole page, however many series it shows.
    """
    by_series = {series.pk: {} for series in series_list}
    bylines = (
        EssayAuthor.objects.filter(
            # published(), spelled out through the join: a subquery costs the database
            # twice the planning.
            essay__series__in=by_series.keys(),
            essay__status=Status.PUBLISHED,
            essay__published_at__lte=Now(),
        )
        .order_by("essay__series_position", "essay__published_at", "position")
        .values_list("essay__series_id", "author__name", "author__slug")
    )
    for series_id, name, slug in bylines:
        by_series[series_id].setdefault((name, slug), Credit(series_id, name, slug))
    for series in series_list:
        series.contributors = list(by_series[series.pk].values())


def topics_in_use():
    """Return the topics that published essays or series carry, by name."""
    return Tag.objects.filter(
        Q(
            Exists(
                TaggedEssay.objects.filter(
                    tag=OuterRef("pk"), content_object__in=Essay.objects.published()
                )
            )
        )
        | Q(
            Exists(
                TaggedSeries.objects.filter(
                    tag=OuterRef("pk"), content_object__in=Series.objects.published()
                )
            )
        )
    ).order_by("name")


class IdeasView(TemplateView):
    """ "Ideas & Debate": series and standalone essays together, newest first."""

    template_name = "essays/ideas.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        series = Series.objects.published()
        essays = Essay.objects.published()
        # One query gives the filter's choices and, from them, the chosen topic.
        topics = list(topics_in_use())
        topic = None
        if topic_slug := self.request.GET.get("topic"):
            topic = next((t for t in topics if t.slug == topic_slug), None)
            if topic is None:
                raise Http404("No published work under this topic.")
            series = series.filter(topics=topic)
            essays = essays.filter(topics=topic)
        # An essay has its own card unless a series card in this listing holds it.
        essays = essays.exclude(series__in=series)
        entries = (
            series.annotate(kind=Value("series", output_field=CharField()))
            .values_list("kind", "pk", "published_at")
            .order_by()
            .union(
                essays.annotate(kind=Value("essay", output_field=CharField()))
                .values_list("kind", "pk", "published_at")
                .order_by(),
                all=True,
            )
            .order_by("-published_at", "-pk")
        )
        page = Paginator(entries, PAGE_SIZE).get_page(self.request.GET.get("page"))
        crumbs = [{"title": "Ideas & Debate", "url": reverse("essays:ideas") if topic else None}]
        if topic:
            crumbs.append({"title": topic.name})
        context.update(
            topic=topic,
            topics=topics,
            page_obj=page,
            entries=self.load_entries(list(page)),
            crumbs=crumbs,
        )
        return context

    @staticmethod
    def load_entries(rows):
        """Return the page's series and essays, in the page's order, with their card data."""
        series_ids = [pk for kind, pk, _ in rows if kind == "series"]
        essay_ids = [pk for kind, pk, _ in rows if kind == "essay"]
        series = published_series_with_cards().in_bulk(series_ids) if series_ids else {}
        attach_contributors(list(series.values()))
        essays = Essay.objects.with_listing_data().in_bulk(essay_ids) if essay_ids else {}
        loaded = {"series": series, "essay": essays}
        return [
            {"kind": kind, "object": loaded[kind][pk]} for kind, pk, _ in rows if pk in loaded[kind]
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
            parts = list(
                essay.series.essays.published()
                .order_by("series_position", "published_at", "pk")
                .values("pk", "title", "slug")
            )
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


class AuthorDetailView(DetailView):
    model = Author
    context_object_name = "author"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["essays"] = (
            Essay.objects.published().filter(authors=self.object).with_listing_data()
        )
        context["meta"] = author_meta(self.object)
        return context


class TopicDetailView(ListView):
    template_name = "essays/topic_detail.html"
    context_object_name = "essays"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.topic = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return Essay.objects.published().filter(topics=self.topic).with_listing_data()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["topic"] = self.topic
        context["crumbs"] = [
            {"title": "Ideas & Debate", "url": reverse("essays:ideas")},
            {"title": self.topic.name},
        ]
        context["series_list"] = list(published_series_with_cards().filter(topics=self.topic))
        attach_contributors(context["series_list"])
        if not context["essays"] and not context["series_list"]:
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
        page = Paginator(finder.rows(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, hits=finder.hits(list(page)))
        if not page.paginator.count:
            context["suggested_topics"] = list(topics_in_use()[:12])
        return context
