"""The delivery part of an event's timeline: its log rows on every channel and its dead letters,
linked in the admin; a channel's log (or the dead letters) the viewer may not see is left out
unread, and the timeline says that something was left out, not what."""
from __future__ import annotations

from django.urls import reverse

from consumers.channels import channel_class, log_models
from consumers.models import DeadLetter
from outbox.timeline import Timeline, TimelineEntry, Visible


def _admin_url(row) -> str:
    return reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_change", args=[row.pk])


def delivery_rows(event_id, visible: Visible) -> Timeline:
    entries, withheld = [], False
    for name, model in log_models().items():
        if not visible(model):
            withheld = True
            continue
        label = channel_class(name).label
        for row in model.objects.filter(event_id=event_id):
            entries.append(TimelineEntry(
                row.delivered_at or row.sent_at, f"{label} {row.status}",
                f"{row.template} to {row.recipient_value}" + (f": {row.error_message}" if row.error_message else ""),
                _admin_url(row)))
    if not visible(DeadLetter):
        return Timeline(entries, withheld=True)
    for dead in DeadLetter.objects.filter(event_id=event_id):
        entries.append(TimelineEntry(
            dead.created_at, f"dead-lettered by {dead.channel}", f"{dead.error_class}: {dead.error}", _admin_url(dead)))
    return Timeline(entries, withheld)
