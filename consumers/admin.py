"""Admin for the delivery logs and templates, as the seed specifies."""
from django.contrib import admin

from consumers.models import EmailLog, MessageTemplate, SMSLog


class DeliveryLogAdmin(admin.ModelAdmin):
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False  # Logs created by system only

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # Only superadmin can delete logs


@admin.register(EmailLog)
class EmailLogAdmin(DeliveryLogAdmin):
    list_display = ["recipient", "subject", "template", "status", "sent_at", "sent_by"]
    list_filter = ["status", "template", "sent_at", "provider"]
    search_fields = ["recipient", "subject", "error_message"]
    readonly_fields = ["sent_at", "delivered_at", "opened_at", "clicked_at", "event_id"]


@admin.register(SMSLog)
class SMSLogAdmin(DeliveryLogAdmin):
    list_display = ["phone_number", "template", "status", "cost", "sent_at", "sent_by"]
    list_filter = ["status", "template", "sent_at", "provider"]
    search_fields = ["phone_number", "message", "error_message"]
    readonly_fields = ["sent_at", "delivered_at", "event_id"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "version", "is_active", "updated_at"]
    list_filter = ["type", "is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]
