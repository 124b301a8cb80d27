from django.contrib import admin

from consumers.log_admin import DeliveryLogAdmin
from consumers.whatsapp.models import WhatsAppContact, WhatsAppLog


@admin.register(WhatsAppLog)
class WhatsAppLogAdmin(DeliveryLogAdmin):
    list_display = ["phone_number", "template", "message_type", "whatsapp_template", "status", "sent_at", "opened_at",
                    "sent_by"]
    list_filter = ["status", "template", "message_type", "sent_at"]
    search_fields = ["phone_number", "message", "error_message", "=provider_message_id"]
    readonly_fields = ["sent_at", "delivered_at", "opened_at", "event_link"]


@admin.register(WhatsAppContact)
class WhatsAppContactAdmin(admin.ModelAdmin):
    """When each customer last wrote: read-only, the webhook keeps it."""

    list_display = ["phone_number", "last_inbound_at"]
    search_fields = ["phone_number"]
    date_hierarchy = "last_inbound_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
