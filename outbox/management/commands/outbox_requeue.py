"""Un-park outbox rows (and rows waiting for a retry): the relay tries them again at once.

Only unpublished rows that failed (parked, or waiting for their next attempt) are chosen;
their attempts start again from zero. Re-publishing rows already published is a different
job: outbox_republish.
"""
from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from outbox.models import OutboxEvent
from outbox.requeue import requeue


class Command(BaseCommand):
    help = "Requeue parked outbox rows (or rows waiting for a retry) by --id, --key or --type; the relay retries them."

    def add_arguments(self, parser):
        parser.add_argument("--id", action="append", dest="ids", default=[], help="event id (repeatable)")
        parser.add_argument("--key", action="append", dest="keys", default=[], help="aggregate id / Kafka key (repeatable)")
        parser.add_argument("--type", action="append", dest="types", default=[], help="event type (repeatable)")
        parser.add_argument("--all", action="store_true", help="every parked or waiting row")
        parser.add_argument("--dry-run", action="store_true", help="list the rows; change nothing")

    def handle(self, *args, ids, keys, types, all=False, dry_run=False, **options):
        if not (ids or keys or types or all):
            raise CommandError("choose rows: --id ID, --key KEY, --type TYPE (each repeatable) or --all")
        rows = OutboxEvent.objects.filter(Q(parked_at__isnull=False) | Q(attempts__gt=0), published_at__isnull=True)
        if ids:
            rows = rows.filter(pk__in=[_uuid(value) for value in ids])
        if keys:
            rows = rows.filter(aggregateid__in=keys)
        if types:
            rows = rows.filter(type__in=types)
        chosen = list(rows.order_by("seq").values_list("pk", "type", "aggregateid", "attempts", "parked_at",
                                                      "last_error"))
        for pk, event_type, key, attempts, parked_at, error in chosen:
            state = "parked" if parked_at else "waiting"
            self.stdout.write(f"{pk} {event_type} key={key} {state} after {attempts} attempts: {error[:160]}")
        if dry_run:
            self.stdout.write(f"{len(chosen)} rows would be requeued")
            return
        count = requeue(OutboxEvent.objects.filter(pk__in=[row[0] for row in chosen]))
        self.stdout.write(self.style.SUCCESS(f"requeued {count} rows; the relay retries them now"))


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"--id {value!r} is not an event id (a UUID)") from None
