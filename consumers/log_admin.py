"""The admin every channel's delivery log shares; a channel's own (`consumers/<channel>/admin.py`)
subclasses it and registers its log model."""
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from consumers.unknown import Decision, decide


class DeliveryLogAdmin(admin.ModelAdmin):
    """A delivery log is an audit trail: viewed, never edited, deleted by superusers only. The one change
    staff make is a decision on a row held UNKNOWN (consumers/unknown.py), which takes the model's change
    permission."""

    date_hierarchy = "sent_at"
    actions = ["send_again", "mark_arrived", "mark_not_arrived"]

    def has_add_permission(self, request):
        return False  # Logs created by system only

    def has_change_permission(self, request, obj=None):
        return False  # the consumers and the delivery webhooks write the rows; the change page only shows them

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # Only superadmin can delete logs

    def has_decide_permission(self, request):
        """Deciding on UNKNOWN rows changes them: the model's change permission (not the change form's)."""
        return super().has_change_permission(request)

    @admin.action(permissions=["decide"], description="UNKNOWN rows: send again")
    def send_again(self, request, queryset):
        self._decide(request, queryset, Decision.SEND_AGAIN)

    @admin.action(permissions=["decide"], description="UNKNOWN rows: it arrived (mark SENT)")
    def mark_arrived(self, request, queryset):
        self._decide(request, queryset, Decision.ARRIVED)

    @admin.action(permissions=["decide"], description="UNKNOWN rows: it did not arrive (mark FAILED)")
    def mark_not_arrived(self, request, queryset):
        self._decide(request, queryset, Decision.NOT_ARRIVED)

    def _decide(self, request, queryset, decision: Decision) -> None:
        decided = decide(queryset, decision, request.user.get_username())
        text = f"{decision.value.capitalize()}: {decided.rows} UNKNOWN rows changed"
        if decided.skipped:
            text += f"; {decided.skipped} rows that were not UNKNOWN left as they are"
        self.message_user(request, text, messages.SUCCESS if decided.rows else messages.WARNING)
        if decided.not_republished:
            self.message_user(request, f"{decided.not_republished} of them have no published event in the outbox any "
                              "more (purged, or published by Debezium): they are PENDING; deliver them with "
                              f"`manage.py replay --channel {self._channel()} --since <their time>`",
                              messages.WARNING)

    def _channel(self) -> str:
        from consumers.channels import log_models

        return next(name for name, model in log_models().items() if model is self.model)

    @admin.display(description="event")
    def event_link(self, obj):
        if not obj.event_id:
            return "—"
        url = reverse("admin:outbox_outboxevent_change", args=[obj.event_id])
        return format_html('<a href="{}">{}</a>', url, obj.event_id)
