"""Delete outbox rows older than the retention, in small batches (each its own transaction): published rows
while the relay publishes, every row while Debezium does (OUTBOX_PUBLISHER, chesanto_comms/publication.py)."""
from __future__ import annotations

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from chesanto_comms.conf import comms
from chesanto_comms.publication import publisher
from outbox.retention import purge

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_age(value: str) -> timedelta:
    """'90s', '15m', '12h', '7d'; a bare number is hours."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value or "")
    if not match:
        raise CommandError(f"--older-than {value!r}: use a number with s, m, h or d (e.g. 7d, 12h); a bare number is hours")
    return timedelta(**{_UNITS[match.group(2) or "h"]: float(match.group(1))})


class Command(BaseCommand):
    help = ("Delete published outbox rows older than --older-than (default OUTBOX_RETENTION_HOURS) in batches "
            "of --batch-size rows. Pending and parked rows are never deleted, unless OUTBOX_PUBLISHER=debezium: "
            "then publication is not tracked and every row older than that is deleted.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", help=f"age, e.g. 7d, 12h, 30m (default {comms.OUTBOX_RETENTION_HOURS:g}h)")
        parser.add_argument("--batch-size", type=int, default=comms.OUTBOX_PURGE_BATCH,
                            help=f"rows per transaction (default OUTBOX_PURGE_BATCH={comms.OUTBOX_PURGE_BATCH})")
        parser.add_argument("--dry-run", action="store_true", help="count the rows; delete nothing")

    def handle(self, *args, older_than=None, batch_size=None, dry_run=False, **options):
        age = parse_age(older_than) if older_than else timedelta(hours=comms.OUTBOX_RETENTION_HOURS)
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more")
        published_only = publisher().tracks_publication
        what = "published rows" if published_only else "rows (OUTBOX_PUBLISHER=debezium: by age alone)"
        with connection.cursor() as cursor:
            if dry_run:
                column = "published_at" if published_only else "created_at"
                cursor.execute(f"SELECT count(*) FROM outbox_event WHERE {column} < now() - %s", (age,))
                self.stdout.write(f"{cursor.fetchone()[0]} {what} are older than {age}")
                return
            if connection.in_atomic_block:
                raise CommandError("outbox_purge must run outside a transaction (each batch commits on its own)")
            deleted, _ = purge(cursor, age, batch_size, published_only=published_only)
        self.stdout.write(self.style.SUCCESS(f"purged {deleted} {what} older than {age}"))
