"""The delivery part of an event's timeline: its log rows on every channel and its dead letters,
linked in the admin."""
from __future__ import annotations

from django.urls import reverse

from consumers.channels import channel_class, log_models
from consumers.models import DeadLetter
from outbox.timeline import TimelineEntry


def _admin_url(row) -> str:
    return reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_change", args=[row.pk])


def delivery_rows(event_id) -> list[TimelineEntry]:
    entries = []
    for name, model in log_models().items():
        label = channel_class(name).label
        for row in model.objects.filter(event_id=event_id):
            entries.append(TimelineEntry(
                row.delivered_at or row.sent_at, f"{label} {row.status}",
                f"{row.template} to {row.recipient_value}" + (f": {row.error_message}" if row.error_message else ""),
                _admin_url(row)))
    for dead in DeadLetter.objects.filter(event_id=event_id):
        entries.append(TimelineEntry(
            dead.created_at, f"dead-lettered by {dead.channel}", f"{dead.error_class}: {dead.error}", _admin_url(dead)))
    return entries
