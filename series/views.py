from django.db.models import Prefetch
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView

from series.metadata import series_meta
from series.models import Series


class PreviewableMixin:
    """Show staff drafts and scheduled items (with a banner); everyone else gets a 404.

    Staff responses are never cached, so a preview cannot leak to readers through a cache.
    """

    def is_preview_allowed(self):
        return self.request.user.is_staff

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.is_preview_allowed() else queryset.published()

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if self.is_preview_allowed():
            add_never_cache_headers(response)
        return response


class SeriesDetailView(PreviewableMixin, DetailView):
    model = Series
    context_object_name = "series"

    def get_queryset(self):
        # Essays are read through the reverse relation: series never imports essays.
        essays = self.model._meta.get_field("essays").related_model.objects
        if not self.is_preview_allowed():
            essays = essays.published()
        return (
            super()
            .get_queryset()
            .defer("search_document")
            .prefetch_related(
                Prefetch("topic_links", to_attr="listed_topics"),
                Prefetch(
                    "essays",
                    queryset=essays.with_listing_data().order_by(
                        "series_position", "published_at", "pk"
                    ),
                    to_attr="essays_in_order",
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["crumbs"] = [
            {"title": "Ideas & Debate", "url": reverse("essays:ideas")},
            {"title": self.object.title},
        ]
        if self.object.is_published:
            context["meta"] = series_meta(
                self.object, context["crumbs"], self.object.essays_in_order
            )
        return context
