from confluent_kafka import Producer
from django.core.management.base import BaseCommand, CommandError

from chesanto_comms.kafka import client_properties, producer_properties
from consumers.dead_letters import republish
from consumers.models import DeadLetter


class Command(BaseCommand):
    help = ("Re-publish chosen dead-letter records to their source topics. Log rows that failed "
            "to render for those events go back to PENDING so the channels try them again.")

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, action="append", dest="ids", help="DeadLetter id (repeatable)")
        parser.add_argument("--event-type", help="all not yet re-published dead letters of this event type")
        parser.add_argument("--channel", help="only dead letters recorded by this channel")
        parser.add_argument("--all", action="store_true", help="every dead letter not yet re-published")
        parser.add_argument("--dry-run", action="store_true", help="list what would be re-published")

    def handle(self, *args, ids=None, event_type=None, channel=None, all=False, dry_run=False, **options):
        if not (ids or event_type or all):
            raise CommandError("choose records: --id N (repeatable), --event-type TYPE or --all")
        rows = DeadLetter.objects.all()
        if ids:
            rows = rows.filter(pk__in=ids)
            missing = set(ids) - set(rows.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"no dead letter with id {', '.join(map(str, sorted(missing)))}")
        else:
            rows = rows.filter(republished_at__isnull=True)
        if event_type:
            rows = rows.filter(event_type=event_type)
        if channel:
            rows = rows.filter(channel=channel)
        rows = list(rows.order_by("pk"))
        for row in rows:
            self.stdout.write(f"{row.pk}: {row.source_topic}[{row.partition}]@{row.offset} {row.event_type or '?'} — {row.error_class}: {row.error[:100]}")
        if dry_run or not rows:
            self.stdout.write(f"{len(rows)} dead letters {'would be' if dry_run else ''} re-published".replace("  ", " "))
            return
        count = republish(Producer(producer_properties({"enable.idempotence": "true", **client_properties()})), rows)
        self.stdout.write(self.style.SUCCESS(f"re-published {count} dead letters"))
