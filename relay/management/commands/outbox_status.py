"""How the outbox is doing: backlog, oldest unpublished age, parked rows, and which relay owns which shard.

With OUTBOX_PUBLISHER=debezium the table does not say what is published: it says so, and shows the
database's logical replication slots (Debezium's) and how far each is behind instead."""
from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection

from chesanto_comms.conf import comms
from chesanto_comms.publication import UNTRACKED, publisher
from outbox.models import OutboxEvent
from outbox.stats import backlog
from relay import shards, store

WAITING = "SELECT count(*) FROM outbox_event WHERE published_at IS NULL AND attempts > 0 AND parked_at IS NULL"
# Scheduled events held until due; "overdue" ones are due but not released: no relay owns their shards.
SCHEDULED = """
SELECT count(*), min(deliver_at), count(*) FILTER (WHERE deliver_at < now() - interval '10 seconds')
FROM outbox_scheduled
"""
# The WAL each logical slot still has to confirm: what its reader (Debezium) is behind by.
SLOTS = """
SELECT slot_name, active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint
FROM pg_replication_slots WHERE slot_type = 'logical' ORDER BY slot_name
"""


class Command(BaseCommand):
    help = "Backlog, age of the oldest unpublished row, parked rows, and the relays and the shards they own."

    def add_arguments(self, parser):
        parser.add_argument("--parked", type=int, default=10, metavar="N", help="list up to N parked rows (10)")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON document instead")

    def handle(self, *args, parked=10, as_json=False, **options):
        status = collect(parked) if publisher().tracks_publication else collect_untracked()
        if as_json:
            self.stdout.write(json.dumps(status, indent=2))
        else:
            self.stdout.write(render(status) if status["publication_tracked"] else render_untracked(status))


def collect_untracked() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(SLOTS)
        slots = [{"name": name, "active": active, "behind_bytes": behind} for name, active, behind in cursor.fetchall()]
        cursor.execute("SELECT count(*), extract(epoch FROM now() - min(created_at))::float8 FROM outbox_event")
        rows, oldest = cursor.fetchone()
    return {"publisher": publisher().value, "publication_tracked": False, "reason": UNTRACKED, "rows": rows,
            "oldest_row_age_seconds": oldest, "replication_slots": slots}


def render_untracked(status: dict) -> str:
    age = status["oldest_row_age_seconds"]
    lines = [f"publication        not tracked: {status['reason']}",
             f"rows               {status['rows']} in the table, the oldest {_age(age) if age is not None else '-'} "
             "old (outbox_purge deletes them by age)",
             f"logical slots      {len(status['replication_slots'])}" + ("" if status["replication_slots"] else
                                                                        "  (none: is the connector registered?)")]
    for slot in status["replication_slots"]:
        lines.append(f"  {slot['name']:<30} {'active' if slot['active'] else 'INACTIVE'}, "
                     f"{slot['behind_bytes'] or 0} bytes of WAL not yet confirmed")
    return "\n".join(lines)


def collect(parked_limit: int) -> dict:
    with connection.cursor() as cursor:
        pending, parked, oldest = backlog(cursor)
        cursor.execute(WAITING)
        waiting = cursor.fetchone()[0]
        stranded = store.stranded(cursor, comms.OUTBOX_SHARDS)
        state = shards.ownership(cursor)
        cursor.execute(SCHEDULED)
        held, next_due, overdue = cursor.fetchone()
    relays = []
    for member in state.members:
        owned = sorted(s for s, holder in state.owners.items() if holder.pid == member.pid)
        relays.append({"pid": member.pid, "name": member.application_name, "address": member.client_addr,
                       "since": member.backend_start.isoformat() if member.backend_start else None,
                       "shards": owned})
    rows = (OutboxEvent.objects.filter(published_at__isnull=True, parked_at__isnull=False).order_by("seq")
            .values("id", "type", "aggregateid", "attempts", "parked_at", "last_error")[:parked_limit])
    return {
        "publisher": publisher().value, "publication_tracked": True,
        "backlog": pending, "oldest_unpublished_age_seconds": oldest, "waiting_for_retry": waiting,
        "parked": parked, "stranded": stranded, "shards": comms.OUTBOX_SHARDS, "relays": relays,
        "scheduled": {"held": held, "next_due": next_due.isoformat() if next_due else None, "overdue": overdue},
        "unowned_shards": [s for s in range(comms.OUTBOX_SHARDS) if s not in state.owners],
        "parked_rows": [{**row, "id": str(row["id"]), "parked_at": row["parked_at"].isoformat()} for row in rows],
    }


def render(status: dict) -> str:
    age = status["oldest_unpublished_age_seconds"]
    lines = [
        f"backlog            {status['backlog']} unpublished rows (parked ones excluded)",
        f"oldest unpublished {_age(age) if age is not None else '-'}",
        f"waiting for retry  {status['waiting_for_retry']}",
        f"parked             {status['parked']}" + ("  (manage.py outbox_requeue --id/--key/--type)" if status["parked"] else ""),
    ]
    scheduled = status["scheduled"]
    lines.append(f"scheduled          {scheduled['held']} held" + (f", next due {scheduled['next_due']}" if scheduled["held"]
                                                                  else "") + (
        f"; OVERDUE {scheduled['overdue']}: due over 10 s ago and not released (is a relay running?)"
        if scheduled["overdue"] else ""))
    if status["stranded"]:
        lines.append(f"STRANDED           {status['stranded']} unpublished rows have a shard >= OUTBOX_SHARDS="
                     f"{status['shards']}: no relay publishes them (docs/relay.md)")
    lines.append(f"relays             {len(status['relays'])} alive, {status['shards']} shards")
    for relay in status["relays"]:
        lines.append(f"  pid {relay['pid']:<7} {relay['name'] or '?':<40} {len(relay['shards']):>3} shards: "
                     f"{shards._ranges(relay['shards'])}")
    if status["unowned_shards"]:
        lines.append(f"  unowned shards: {shards._ranges(status['unowned_shards'])}")
    for row in status["parked_rows"]:
        lines.append(f"parked {row['id']} {row['type']} key={row['aggregateid']} attempts={row['attempts']} "
                     f"at {row['parked_at']}: {row['last_error'][:200]}")
    return "\n".join(lines)


def _age(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds, 1))).rstrip("0").rstrip(".")
