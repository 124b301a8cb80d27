from django.contrib import admin

from chesanto_chat.models import ChatLog
from consumers.log_admin import DeliveryLogAdmin


@admin.register(ChatLog)
class ChatLogAdmin(DeliveryLogAdmin):
    list_display = ["room", "service", "title", "template", "status", "sent_at"]
    list_filter = ["status", "template", "room", "service", "sent_at"]
    search_fields = ["room", "title", "text", "error_message"]
    readonly_fields = ["sent_at", "delivered_at", "event_link"]
