from django.urls import path, register_converter

from essays import feeds, views


class TopicSlugConverter:
    """Topic slugs as taggit makes them: letters of any script, digits, - and _."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TopicSlugConverter, "topic")

app_name = "essays"
urlpatterns = [
    path("ideas/", views.IdeasView.as_view(), name="ideas"),
    path("essays/<slug:slug>/", views.EssayDetailView.as_view(), name="detail"),
    path(
        "essays/<slug:slug>/cite.bib",
        views.citation_download,
        {"extension": "bib"},
        name="cite_bib",
    ),
    path(
        "essays/<slug:slug>/cite.ris",
        views.citation_download,
        {"extension": "ris"},
        name="cite_ris",
    ),
    path("authors/<slug:slug>/", views.AuthorDetailView.as_view(), name="author"),
    path("topics/<topic:slug>/", views.TopicDetailView.as_view(), name="topic"),
    path("feeds/essays/", feeds.AllEssaysFeed(), name="feed"),
    # The series feed lives here, not in series/urls.py: series never imports essays.
    path("series/<slug:slug>/feed/", feeds.SeriesFeed(), name="series_feed"),
    path("authors/<slug:slug>/feed/", feeds.AuthorFeed(), name="author_feed"),
    path("topics/<topic:slug>/feed/", feeds.TopicFeed(), name="topic_feed"),
    path("search/", views.SearchView.as_view(), name="search"),
]
