from django.contrib import admin

from consumers.log_admin import DeliveryLogAdmin
from consumers.push.models import PushDevice, PushLog


@admin.register(PushLog)
class PushLogAdmin(DeliveryLogAdmin):
    list_display = ["user", "platform", "title", "template", "status", "sent_at", "sent_by"]
    list_filter = ["status", "template", "platform", "sent_at"]
    search_fields = ["recipient", "title", "body", "error_message", "user__email"]
    readonly_fields = ["sent_at", "delivered_at", "event_link"]
    raw_id_fields = ["user", "sent_by"]


@admin.register(PushDevice)
class PushDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "platform", "short_token", "created_at", "last_seen_at"]
    list_filter = ["platform", "last_seen_at"]
    search_fields = ["user__email", "user__username", "=token"]
    readonly_fields = ["token", "created_at", "last_seen_at"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False  # the app registers its devices (POST /comms/push/devices/)

    @admin.display(description="token")
    def short_token(self, obj):
        return f"{obj.token[:16]}…"
