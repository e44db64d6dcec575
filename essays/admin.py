from django.contrib import admin
from django.db.models import Prefetch

from essays.models import Author, Essay, EssayAuthor
from series.admin import PublishingAdmin, SeriesAdmin
from series.models import Series


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "website"]
    search_fields = ["name", "role"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "role", "bio", "website"]}),
        ("Portrait", {"fields": ["portrait", "portrait_alt"]}),
    ]


class BylineInline(admin.TabularInline):
    model = EssayAuthor
    extra = 1
    min_num = 1
    autocomplete_fields = ["author"]
    fields = ["author", "position"]
    verbose_name = "author"
    verbose_name_plural = "bylines (in the order they are printed)"


@admin.register(Essay)
class EssayAdmin(PublishingAdmin):
    list_display = ["title", "byline", "series", "series_position", "status", "published_at"]
    list_filter = ["status", "series", "topics", "authors"]
    list_select_related = ["series"]
    search_fields = ["title", "standfirst", "authors__name"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["series"]
    inlines = [BylineInline]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "standfirst", "body", "topics"]}),
        ("Series", {"fields": ["series", "series_position"]}),
        ("Hero image", {"fields": ["hero_image", "hero_alt", "hero_credit"]}),
        ("Publishing", {"fields": ["status", "published_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("bylines", queryset=EssayAuthor.objects.select_related("author"))
            )
        )

    @admin.display(description="by")
    def byline(self, essay):
        return ", ".join(author.name for author in essay.byline_authors)


class SeriesEssayInline(admin.TabularInline):
    """The series' essays, reordered by editing their positions."""

    model = Essay
    fk_name = "series"
    extra = 0
    fields = ["series_position", "status", "published_at"]
    readonly_fields = ["status", "published_at"]
    ordering = ["series_position", "published_at", "pk"]
    show_change_link = True
    verbose_name = "essay"
    verbose_name_plural = "essays in this series (in reading order: edit the positions to reorder)"

    def has_add_permission(self, request, obj=None):
        return False  # essays are written on their own page, then put in a series

    def has_delete_permission(self, request, obj=None):
        return False


# The series admin gains its essays here so that `series` never imports `essays`.
admin.site.unregister(Series)


@admin.register(Series)
class SeriesWithEssaysAdmin(SeriesAdmin):
    inlines = [SeriesEssayInline]
