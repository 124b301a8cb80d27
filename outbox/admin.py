"""Outbox rows in the admin: read-only (emit() and the relay write them), with the backlog
at the top, filters, search by event id and aggregate id, the payload with secrets masked,
a requeue action for parked rows and, per event, its timeline from emit to delivery, showing only the
logs the viewer may view (each log model's view permission, as on its own admin page).
With OUTBOX_PUBLISHER=debezium no row is ever marked: the page says publication is not tracked."""
import json

from django.contrib import admin, messages
from django.db import connection
from django.utils.html import format_html

from chesanto_comms.publication import UNTRACKED, publisher
from outbox.errors import NotCancellable, UnknownEventType
from outbox.events import get_event_type
from outbox.models import OutboxEvent, ScheduledEvent
from outbox.requeue import requeue
from outbox.scheduled import cancel
from outbox.secrets import is_sealed
from outbox.stats import backlog
from outbox.timeline import Visible, timeline

MASK = "**********"


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("pending", "pending"), ("published", "published"), ("parked", "parked"), ("failing", "failing (retrying)")]

    def queryset(self, request, queryset):
        return {
            "pending": lambda q: q.filter(published_at__isnull=True, parked_at__isnull=True),
            "published": lambda q: q.filter(published_at__isnull=False),
            "parked": lambda q: q.filter(published_at__isnull=True, parked_at__isnull=False),
            "failing": lambda q: q.filter(published_at__isnull=True, parked_at__isnull=True, attempts__gt=0),
        }.get(self.value(), lambda q: q)(queryset)


def masked(payload):
    if isinstance(payload, dict):
        return {k: MASK if is_sealed(v) else masked(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [masked(v) for v in payload]
    return payload


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "type", "category", "aggregateid", "status_badge", "created_at", "published_at", "attempts", "kafka_position", "short_error"]
    list_filter = [StatusFilter, "type", "aggregatetype", "created_at"]
    search_fields = ["=id", "aggregateid"]
    date_hierarchy = "created_at"
    actions = ["requeue_rows"]
    fieldsets = [
        (None, {"fields": ["id", "type", "category", "aggregatetype", "aggregateid", "shard", "status_badge"]}),
        ("Payload (secrets masked)", {"fields": ["payload_pretty", "headers_pretty"]}),
        ("Publication", {"fields": ["created_at", "published_at", "attempts", "retry_at", "parked_at", "last_error", "kafka_position", "deliver_at"]}),
    ]  # then the timeline (change_form.html): it needs the viewer, whom a field never sees
    readonly_fields = ["id", "type", "category", "aggregatetype", "aggregateid", "shard", "status_badge", "payload_pretty", "headers_pretty",
                       "created_at", "published_at", "attempts", "retry_at", "parked_at", "last_error", "kafka_position",
                       "deliver_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # deleting a row loses its event

    def has_change_permission(self, request, obj=None):
        return False  # the change page is view-only: emit() and the relay own every column

    def has_requeue_permission(self, request):
        """Requeueing changes rows, so it takes the model's change permission (the action's `permissions`)."""
        return super().has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        if not publisher().tracks_publication:
            return super().changelist_view(request, {**(extra_context or {}), "untracked": UNTRACKED})
        with connection.cursor() as cursor:
            figures = backlog(cursor)
        return super().changelist_view(request, {**(extra_context or {}), "backlog": figures})

    @admin.action(permissions=["requeue"], description="Requeue selected parked rows (the relay tries them again)")
    def requeue_rows(self, request, queryset):
        count = requeue(queryset)
        self.message_user(request, f"Requeued {count} outbox rows.", messages.SUCCESS)

    @admin.display(description="status")
    def status_badge(self, obj):
        if not publisher().tracks_publication:
            return "not tracked"
        colour = {"published": "#2e7d32", "pending": "#8a6d00", "parked": "#c62828"}.get(obj.status, "#555")
        return format_html('<b style="color:{}">{}</b>', colour, obj.status)

    @admin.display(description="category")
    def category(self, obj):
        try:
            return get_event_type(obj.type).category.value  # outbox/events/categories.py
        except UnknownEventType:
            return "—"

    @admin.display(description="Kafka")
    def kafka_position(self, obj):
        return f"{obj.kafka_topic}[{obj.kafka_partition}]@{obj.kafka_offset}" if obj.kafka_topic else "—"

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(masked(obj.payload), indent=2, sort_keys=True))

    @admin.display(description="headers")
    def headers_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.headers, indent=2, sort_keys=True))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:  # reached only past the view-permission check
            context = {**context, "timeline": timeline(obj, self.visible_to(request))}
        return super().render_change_form(request, context, add, change, form_url, obj)

    def visible_to(self, request) -> Visible:
        """Whether the viewer may see a model's rows: its admin's view permission (view or change), the
        rule the model's own pages apply; a model without an admin page is not shown."""
        def visible(model) -> bool:
            return (self.admin_site.is_registered(model)
                    and self.admin_site.get_model_admin(model).has_view_permission(request))
        return visible


@admin.register(ScheduledEvent)
class ScheduledEventAdmin(admin.ModelAdmin):
    """Events emitted with `deliver_at`, waiting to come due; the one change is cancelling them
    (deleting the held row). Once due they move to the outbox and leave this list."""
    list_display = ["deliver_at", "type", "aggregateid", "created_at", "id"]
    list_filter = ["type"]
    search_fields = ["=id", "aggregateid"]
    date_hierarchy = "deliver_at"
    actions = ["cancel_events"]
    fields = ["id", "type", "aggregatetype", "aggregateid", "shard", "deliver_at", "created_at", "payload_pretty"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # cancelling is the action below, which says what became of each event

    def has_cancel_permission(self, request):
        return super().has_change_permission(request)

    def get_actions(self, request):
        return {name: action for name, action in super().get_actions(request).items() if name != "delete_selected"}

    @admin.action(permissions=["cancel"], description="Cancel selected scheduled events (never published)")
    def cancel_events(self, request, queryset):
        cancelled, refused = 0, []
        for event_id in list(queryset.values_list("id", flat=True)):
            try:
                cancelled += cancel(event_id)
            except NotCancellable as exc:  # came due meanwhile: released to the outbox
                refused.append(str(exc))
        self.message_user(request, f"Cancelled {cancelled} scheduled events.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(masked(obj.payload), indent=2, sort_keys=True))
