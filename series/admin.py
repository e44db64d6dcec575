from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone

from series.models import Series, SiteSettings, Status


class PublishingAdmin(admin.ModelAdmin):
    """Publish / unpublish for users holding the model's `publish_*` permission only.

    Users without it (contributors) never see the status or date fields, so a crafted POST
    cannot set them, may not touch an item once it is published, and get no bulk actions.
    """

    publishing_fields = ("status", "published_at")
    actions = ["publish", "unpublish"]

    def has_publish_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")

    def is_locked_for(self, request, obj):
        """Return whether `obj` is published and so out of reach of users who cannot publish."""
        return (
            obj is not None
            and obj.status == Status.PUBLISHED
            and not self.has_publish_permission(request)
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if not self.has_publish_permission(request):
            readonly = (*readonly, *self.publishing_fields)
        return readonly

    def has_change_permission(self, request, obj=None):
        if self.is_locked_for(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self.is_locked_for(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if obj.status == Status.PUBLISHED and not self.has_publish_permission(request):
            raise PermissionDenied("You may not publish.")
        super().save_model(request, obj, form, change)

    @admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["publish"])
    def publish(self, request, queryset):
        now = timezone.now()
        count = 0
        for item in queryset.exclude(status=Status.PUBLISHED):
            item.status = Status.PUBLISHED
            item.published_at = item.published_at or now
            item.save()
            count += 1
        self.message_user(request, f"Published {count}.", messages.SUCCESS)

    @admin.action(
        description="Unpublish selected %(verbose_name_plural)s (back to draft)",
        permissions=["publish"],
    )
    def unpublish(self, request, queryset):
        count = 0
        for item in queryset.filter(status=Status.PUBLISHED):
            item.status = Status.DRAFT
            item.save()
            count += 1
        self.message_user(request, f"Moved {count} back to draft.", messages.SUCCESS)


@admin.register(Series)
class SeriesAdmin(PublishingAdmin):
    list_display = ["title", "status", "published_at", "updated_at"]
    list_filter = ["status", "topics"]
    search_fields = ["title", "standfirst"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "standfirst", "intro", "topics"]}),
        ("Hero image", {"fields": ["hero_image", "hero_alt", "hero_credit"]}),
        ("Publishing", {"fields": ["status", "published_at"]}),
    ]


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """One row, made by a migration: the list goes straight to its form."""

    fields = ["name", "tagline", "about"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = SiteSettings.load()
        if settings_row._state.adding and self.has_change_permission(request):
            settings_row.save()  # the row was removed by hand: put it back
        return redirect("admin:series_sitesettings_change", settings_row.pk)
