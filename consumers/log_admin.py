"""The admin every channel's delivery log shares; a channel's own (`consumers/<channel>/admin.py`)
subclasses it and registers its log model."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html


class DeliveryLogAdmin(admin.ModelAdmin):
    """A delivery log is an audit trail: viewed, never edited, deleted by superusers only."""

    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False  # Logs created by system only

    def has_change_permission(self, request, obj=None):
        return False  # the consumers and the delivery webhooks write the rows; the change page only shows them

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # Only superadmin can delete logs

    @admin.display(description="event")
    def event_link(self, obj):
        if not obj.event_id:
            return "—"
        url = reverse("admin:outbox_outboxevent_change", args=[obj.event_id])
        return format_html('<a href="{}">{}</a>', url, obj.event_id)
