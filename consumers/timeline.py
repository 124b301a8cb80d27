"""The delivery part of an event's timeline: its log rows and dead letters, linked in the admin."""
from __future__ import annotations

from django.urls import reverse

from consumers.models import DeadLetter, EmailLog, SMSLog
from outbox.timeline import TimelineEntry


def delivery_rows(event_id) -> list[TimelineEntry]:
    entries = []
    for log in EmailLog.objects.filter(event_id=event_id):
        entries.append(TimelineEntry(
            log.delivered_at or log.sent_at, f"email {log.status}",
            f"{log.template} to {log.recipient}" + (f": {log.error_message}" if log.error_message else ""),
            reverse("admin:communications_emaillog_change", args=[log.pk])))
    for log in SMSLog.objects.filter(event_id=event_id):
        entries.append(TimelineEntry(
            log.delivered_at or log.sent_at, f"SMS {log.status}",
            f"{log.template} to {log.phone_number}" + (f": {log.error_message}" if log.error_message else ""),
            reverse("admin:communications_smslog_change", args=[log.pk])))
    for dead in DeadLetter.objects.filter(event_id=event_id):
        entries.append(TimelineEntry(
            dead.created_at, f"dead-lettered by {dead.channel}", f"{dead.error_class}: {dead.error}",
            reverse("admin:communications_deadletter_change", args=[dead.pk])))
    return entries
