from django.contrib import admin

from consumers.inbox.models import InboxItem
from consumers.log_admin import DeliveryLogAdmin


@admin.register(InboxItem)
class InboxItemAdmin(DeliveryLogAdmin):
    list_display = ["user", "title", "category", "status", "sent_at", "read_at", "archived_at"]
    list_filter = ["status", "category", "template", "sent_at"]
    search_fields = ["=feed_seq", "user__username", "user__email", "title", "body", "error_message"]
    list_select_related = ["user"]
    readonly_fields = ["sent_at", "delivered_at", "feed_seq", "event_link"]
    raw_id_fields = ["user", "sent_by"]
