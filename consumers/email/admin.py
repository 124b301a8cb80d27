from django.contrib import admin

from consumers.email.models import EmailLog
from consumers.log_admin import DeliveryLogAdmin


@admin.register(EmailLog)
class EmailLogAdmin(DeliveryLogAdmin):
    list_display = ["recipient", "subject", "template", "status", "sent_at", "sent_by"]
    list_filter = ["status", "template", "sent_at", "provider"]
    search_fields = ["recipient", "subject", "error_message"]
    readonly_fields = ["sent_at", "delivered_at", "opened_at", "clicked_at", "event_link"]
