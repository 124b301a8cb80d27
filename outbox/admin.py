"""Outbox rows in the admin (read-only: rows are written by emit() and the relay)."""
import json

from django.contrib import admin
from django.utils.html import format_html

from outbox.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "type", "aggregateid", "created_at", "published_at", "attempts", "short_error"]
    list_filter = ["type", "aggregatetype", ("published_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["=id", "aggregateid"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxEvent._meta.fields if f.name != "payload"] + ["payload_pretty"]
    exclude = ["payload"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.display(description="payload (secrets sealed)")
    def payload_pretty(self, obj):
        masked = {k: ("**********" if isinstance(v, dict) and "$sealed" in v else v) for k, v in obj.payload.items()}
        return format_html("<pre>{}</pre>", json.dumps(masked, indent=2, sort_keys=True))
