"""Publish chosen outbox rows again, for when a topic lost records (retention, a broker's data loss).

The rows become unpublished again (published_at, attempts, retry_at and parked_at
reset), so the relay claims and publishes them as it does any new row, with the same
event id, key and ce_time; its NOTIFY is sent in each batch's transaction, so it
fires on commit. A consumer that already delivered an event finds its final log row
and sends nothing: re-publishing is safe end to end. kafka_topic/partition/offset
keep the previous position until the relay overwrites them with the new one.
"""
from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from outbox.models import OutboxEvent
from outbox.requeue import republish

BATCH_SIZE = 500  # rows per transaction


def parse_moment(value: str, option: str):
    try:
        moment = parse_datetime(value.strip())
    except ValueError as exc:
        raise CommandError(f"{option} {value!r} is not a valid time: {exc}") from None
    if moment is None:
        raise CommandError(f"{option} {value!r} is not an ISO 8601 time (e.g. 2026-03-01T08:00:00+03:00)")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"--id {value!r} is not an event id (a UUID)") from None


class Command(BaseCommand):
    help = ("Re-publish chosen outbox rows (for a topic that lost records): they become unpublished "
            "and the relay publishes them again. Consumers' idempotent logs make duplicates harmless.")

    def add_arguments(self, parser):
        parser.add_argument("--id", action="append", dest="ids", default=[], help="event id (repeatable)")
        parser.add_argument("--type", action="append", dest="types", default=[], help="event type (repeatable)")
        parser.add_argument("--key", help="aggregate id (the Kafka key)")
        parser.add_argument("--since", help="rows created at or after this ISO 8601 time")
        parser.add_argument("--until", help="rows created at or before this ISO 8601 time")
        parser.add_argument("--dry-run", action="store_true", help="list the rows; change nothing")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"rows per transaction ({BATCH_SIZE})")

    def handle(self, *args, ids, types, key=None, since=None, until=None, dry_run=False, batch_size=BATCH_SIZE,
               **options):
        if not (ids or types or key or since or until):
            raise CommandError("choose rows: --id ID (repeatable), --type TYPE, --key KEY, --since/--until TIME")
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more")
        rows = OutboxEvent.objects.all()
        if ids:
            wanted = {parse_id(value) for value in ids}
            rows = rows.filter(pk__in=wanted)
            missing = wanted - set(rows.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"no outbox event with id {', '.join(sorted(map(str, missing)))}; nothing changed")
        if types:
            rows = rows.filter(type__in=types)
        if key:
            rows = rows.filter(aggregateid=key)
        start = parse_moment(since, "--since") if since else None
        end = parse_moment(until, "--until") if until else None
        if start and end and end < start:
            raise CommandError(f"--until {until} is before --since {since}")
        if start:
            rows = rows.filter(created_at__gte=start)
        if end:
            rows = rows.filter(created_at__lte=end)

        pending = rows.filter(published_at__isnull=True).count()  # the relay has them already (or parked them)
        chosen = list(rows.filter(published_at__isnull=False).order_by("seq")
                      .values_list("pk", "type", "aggregateid", "created_at", "kafka_topic", "kafka_partition",
                                   "kafka_offset"))
        if dry_run or options["verbosity"] > 1:
            for pk, event_type, aggregate, created, topic, partition, offset in chosen:
                self.stdout.write(f"{pk} {event_type} key={aggregate} created {created.isoformat(timespec='seconds')} "
                                  f"published at {topic}[{partition}]@{offset}")
        note = f"; {pending} not published yet (pending or parked) left as they are" if pending else ""
        if dry_run:
            self.stdout.write(f"{len(chosen)} outbox events would be re-published{note}")
            return
        count = 0
        for at in range(0, len(chosen), batch_size):
            count += republish([row[0] for row in chosen[at:at + batch_size]])
        self.stdout.write(self.style.SUCCESS(f"re-published {count} outbox events; the relay publishes them again{note}"))
