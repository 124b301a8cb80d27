"""Admin for the delivery logs and templates as the seed specifies, plus dead letters,
template previews and the seed's monitoring reports."""
from confluent_kafka import Producer
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from chesanto_comms.kafka import client_properties, producer_properties
from consumers.dead_letters import republish
from consumers.models import DeadLetter, EmailLog, MessageTemplate, SMSLog
from consumers.reports import reports_context
from consumers.template_preview import preview


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


@admin.register(EmailLog)
class EmailLogAdmin(DeliveryLogAdmin):
    list_display = ["recipient", "subject", "template", "status", "sent_at", "sent_by"]
    list_filter = ["status", "template", "sent_at", "provider"]
    search_fields = ["recipient", "subject", "error_message"]
    readonly_fields = ["sent_at", "delivered_at", "opened_at", "clicked_at", "event_link"]

    def get_urls(self):
        return [
            path("reports/", self.admin_site.admin_view(self.reports_view), name="communications_reports"),
        ] + super().get_urls()

    def reports_view(self, request):
        """The seed's reports, each log's part only for those who may view that log."""
        visible = {model for model in (EmailLog, SMSLog)
                   if self.admin_site.get_model_admin(model).has_view_permission(request)}
        if not visible:
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), **reports_context(visible), "title": "Delivery reports"}
        return TemplateResponse(request, "admin/communications/reports.html", context)


@admin.register(SMSLog)
class SMSLogAdmin(DeliveryLogAdmin):
    list_display = ["phone_number", "template", "status", "cost", "sent_at", "sent_by"]
    list_filter = ["status", "template", "sent_at", "provider"]
    search_fields = ["phone_number", "message", "error_message"]
    readonly_fields = ["sent_at", "delivered_at", "event_link"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "version", "is_active", "updated_at"]
    list_filter = ["type", "is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at", "rendered_preview"]

    @admin.display(description="preview (sample data)")
    def rendered_preview(self, obj):
        shown = preview(obj.name)
        if shown.error:
            return format_html('<p class="errornote">{}</p>', shown.error)
        if shown.channel == "sms":
            return format_html('<pre id="sms-preview">{}</pre><p id="sms-segments">{}</p>', shown.text, shown.sms_encoding)
        return format_html(
            '<p><b>Subject:</b> <span id="email-subject">{}</span></p>'
            '<iframe id="email-html" sandbox srcdoc="{}" style="width:640px;height:520px;border:1px solid #ccc"></iframe>'
            '<pre id="email-text">{}</pre>',
            shown.subject, shown.html, shown.text,
        )


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "source_topic", "partition", "offset", "event_type", "error_class", "republished_at"]
    list_filter = ["channel", "error_class", "event_type", "created_at"]
    search_fields = ["=event_id", "error"]
    date_hierarchy = "created_at"
    actions = ["republish_selected"]
    exclude = ["key", "value"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in DeadLetter._meta.fields if f.name not in ("key", "value")] + ["value_preview"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="value (as received)")
    def value_preview(self, obj):
        return format_html("<pre>{}</pre>", bytes(obj.value or b"").decode("utf-8", "replace")[:5000])

    @admin.action(permissions=["change"], description="Re-publish to the source topic")
    def republish_selected(self, request, queryset):
        count = republish(Producer(producer_properties({"enable.idempotence": "true", **client_properties()})), list(queryset))
        self.message_user(request, f"Re-published {count} dead letters.", messages.SUCCESS)
