from django.contrib import admin

from consumers.log_admin import DeliveryLogAdmin
from consumers.sms.models import SMSLog


@admin.register(SMSLog)
class SMSLogAdmin(DeliveryLogAdmin):
    list_display = ["phone_number", "template", "status", "cost", "sent_at", "sent_by"]
    list_filter = ["status", "template", "sent_at", "provider"]
    search_fields = ["phone_number", "message", "error_message"]
    readonly_fields = ["sent_at", "delivered_at", "event_link"]
