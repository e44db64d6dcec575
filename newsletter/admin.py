import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from newsletter import services
from newsletter.models import ConsentRecord, Subscriber, Suppression


class ConsentInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "wording_version",
        "source_url",
        "submitted_at",
        "confirmed_at",
        "withdrawn_at",
        "ip_hash",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["status", "created_at", "confirmed_at"]
    search_fields = ["email", "name"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "email",
        "status",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
        "data_export",
    ]
    fields = ["email", "name", *readonly_fields[1:]]
    inlines = [ConsentInline]
    actions = ["unsubscribe_selected", "erase_selected"]
    change_list_template = "admin/newsletter/subscriber/change_list.html"

    def has_add_permission(self, request):
        return False  # people subscribe themselves, with consent and confirmation

    def get_urls(self):
        return [
            path(
                "export-confirmed.csv",
                self.admin_site.admin_view(self.export_confirmed_csv),
                name="newsletter_subscriber_export",
            ),
            path(
                "<int:pk>/data.json",
                self.admin_site.admin_view(self.data_json),
                name="newsletter_subscriber_data",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        counts = dict(Subscriber.objects.order_by().values_list("status").annotate(n=Count("pk")))
        extra_context = {
            **(extra_context or {}),
            "status_counts": [
                (label, counts.get(value, 0)) for value, label in Subscriber.Status.choices
            ],
        }
        return super().changelist_view(request, extra_context=extra_context)

    def export_confirmed_csv(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        stream = io.StringIO()
        services.write_confirmed_csv(stream)
        response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
        filename = f"confirmed-subscribers-{timezone.now():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def data_json(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        subscriber = get_object_or_404(Subscriber, pk=pk)
        response = JsonResponse(
            services.subscriber_data(subscriber=subscriber), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = f'attachment; filename="subscriber-{pk}.json"'
        return response

    @admin.display(description="Data export")
    def data_export(self, subscriber):
        if subscriber.pk is None:
            return "-"
        url = reverse("admin:newsletter_subscriber_data", args=[subscriber.pk])
        return format_html('<a href="{}">Download all data held (JSON)</a>', url)

    @admin.action(description="Unsubscribe selected subscribers", permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        for subscriber in queryset:
            services.unsubscribe_subscriber(subscriber=subscriber)
        self.message_user(request, f"Unsubscribed {queryset.count()}.", messages.SUCCESS)

    @admin.action(
        description="Erase selected subscribers' personal data (keeps a hashed suppression entry)",
        permissions=["delete"],
    )
    def erase_selected(self, request, queryset):
        count = 0
        for subscriber in queryset:
            services.erase_subscriber(subscriber=subscriber)
            count += 1
        self.message_user(request, f"Erased {count}.", messages.SUCCESS)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email_hash", "created_at"]
    readonly_fields = ["email_hash", "created_at"]

    def has_add_permission(self, request):
        return False
