"""SQL the relay runs against the outbox table (autocommit: one statement, one transaction).

No row locks: shard ownership (relay/shards.py) already makes the owning relay the only
writer of its shards' unpublished rows, and no transaction stays open while Kafka acks,
so a broker outage does not hold back vacuum.
"""
from __future__ import annotations

import psycopg
from psycopg.rows import args_row

from chesanto_comms.records import ClaimedRow
from relay.publisher import Ack, Failure

# The next unpublished rows of our shards, in insertion order, except rows parked or waiting
# for a retry, rows whose key has an earlier row parked or waiting (per-key order: a stuck key
# stops only itself; the NOT EXISTS probes a partial index that is usually empty), and rows of
# the batch whose marks are still being written (relay/marker.py).
#
# One plan whatever the table's statistics: an ordered scan of the partial index of unpublished
# rows that stops after `limit` rows. On a table never analysed (a young installation's first
# backlog) or analysed while every row was published, the planner would otherwise take the
# unpublished rows for a handful: it sorted the whole backlog for every claim and, for the
# still-unsettled rows, chose a nested-loop anti-join (3-7 s per claim of a 50k backlog). So the
# unsettled rows are a hashed NOT IN filter (no join to choose), and the relay's sessions run with
# sorts and hash and merge joins off (relay/db.py), which leaves the index's own order as the only
# sensible plan.
# The payload comes as jsonb's own text, the record's value as it is (no JSON round trip in
# Python); the header fields as columns, cheaper than parsing the headers document per row.
CLAIM = """
SELECT o.id::text, o.aggregatetype, o.aggregateid, o.type, o.payload::text, o.headers->>'actor',
       o.headers->>'traceparent', o.headers->>'trace_id', o.headers->>'schema_version', o.created_at, o.seq,
       o.attempts
FROM outbox_event o
WHERE o.published_at IS NULL AND o.parked_at IS NULL AND o.shard = ANY(%(shards)s)
  AND o.seq NOT IN (SELECT unnest(%(unsettled)s::bigint[]))
  AND (o.retry_at IS NULL OR o.retry_at <= now())
  AND NOT EXISTS (
      SELECT 1 FROM outbox_event f
      WHERE f.published_at IS NULL AND f.attempts > 0 AND f.aggregateid = o.aggregateid AND f.seq < o.seq
        AND (f.parked_at IS NOT NULL OR f.retry_at > now()))
ORDER BY o.seq
LIMIT %(limit)s
"""

# Scheduled events of our shards that are due, moved from outbox_scheduled into outbox_event in one
# statement (a row is released once, or cancelled once: outbox/scheduled.py deletes it too). Each
# takes the next seq as it goes in, in (due time, emit order): a due row queues behind the earlier
# rows of its key still unpublished, and a not-yet-due row never held back its key's other rows.
# A probe of outbox_scheduled's due-time index when nothing is due.
RELEASE = """
WITH due AS (
    DELETE FROM outbox_scheduled
    WHERE id IN (SELECT id FROM outbox_scheduled WHERE deliver_at <= now() AND shard = ANY(%(shards)s)
                 ORDER BY deliver_at LIMIT %(limit)s)
    RETURNING id, aggregatetype, aggregateid, type, payload, headers, shard, deliver_at, seq
)
INSERT INTO outbox_event (id, aggregatetype, aggregateid, type, payload, headers, shard, deliver_at)
SELECT id, aggregatetype, aggregateid, type, payload, headers, shard, deliver_at FROM due ORDER BY deliver_at, seq
"""

# Only what the broker acknowledged. A late duplicate mark (a row published twice after an outage)
# keeps the first publication's values: the CASEs, not a `published_at IS NULL` condition, which
# would let the planner, without statistics, hash or scan the whole backlog instead of looking
# each id up in the primary key. The acks travel as four comma-separated strings: psycopg builds
# one string far faster than it adapts a list of thousands of values (ids are UUIDs, topic names
# cannot hold a comma).
MARK_PUBLISHED = """
UPDATE outbox_event AS o
SET published_at = coalesce(o.published_at, now()),
    kafka_topic = CASE WHEN o.published_at IS NULL THEN a.topic ELSE o.kafka_topic END,
    kafka_partition = CASE WHEN o.published_at IS NULL THEN a.part ELSE o.kafka_partition END,
    kafka_offset = CASE WHEN o.published_at IS NULL THEN a.pos ELSE o.kafka_offset END,
    attempts = o.attempts + (o.published_at IS NULL)::int,
    last_error = CASE WHEN o.published_at IS NULL THEN '' ELSE o.last_error END,
    retry_at = CASE WHEN o.published_at IS NULL THEN NULL ELSE o.retry_at END
FROM unnest(string_to_array(%s, ',')::uuid[], string_to_array(%s, ','), string_to_array(%s, ',')::int[],
            string_to_array(%s, ',')::bigint[]) AS a(id, topic, part, pos)
WHERE o.id = a.id
"""

# A row's own failure: retry after a doubling delay, park after `max_attempts`.
MARK_FAILED = """
UPDATE outbox_event AS o
SET attempts = o.attempts + 1, last_error = f.error,
    parked_at = CASE WHEN o.attempts + 1 >= %(max_attempts)s THEN now() END,
    retry_at = CASE WHEN o.attempts + 1 < %(max_attempts)s
               THEN now() + make_interval(secs => least(%(max_delay)s, %(delay)s * 2 ^ o.attempts)) END
FROM unnest(%(ids)s::uuid[], %(errors)s::text[]) AS f(id, error)
WHERE o.id = f.id AND o.published_at IS NULL
RETURNING o.id, o.aggregateid, o.parked_at IS NOT NULL
"""

# Figures for metrics and `outbox_status`; reads only the partial index of unpublished rows.
# Rows no relay will ever claim: their shard is outside 0..OUTBOX_SHARDS-1 (a changed setting).
STRANDED = "SELECT count(*) FROM outbox_event WHERE published_at IS NULL AND shard >= %s"


def _claimed_row(id, aggregatetype, aggregateid, type, payload, actor, traceparent, trace_id, schema_version,
                 created_at, seq, attempts) -> ClaimedRow:
    headers = {"actor": actor, "traceparent": traceparent, "trace_id": trace_id, "schema_version": schema_version}
    return ClaimedRow(id, aggregatetype, aggregateid, type, payload, headers, created_at, seq, attempts)


def claim(conn: psycopg.Connection, shards: list[int], limit: int, unsettled: list[int] = ()) -> list[ClaimedRow]:
    with conn.cursor(row_factory=args_row(_claimed_row)) as cur:
        return cur.execute(CLAIM, {"shards": shards, "limit": limit, "unsettled": list(unsettled)}).fetchall()


def release(conn: psycopg.Connection, shards: list[int], limit: int) -> int:
    """Move up to `limit` due scheduled events of `shards` into the outbox; how many moved."""
    return conn.execute(RELEASE, {"shards": shards, "limit": limit}).rowcount


def mark_published(conn: psycopg.Connection, acks: list[Ack]) -> None:
    if acks:
        conn.execute(MARK_PUBLISHED, (
            ",".join([a.row_id for a in acks]), ",".join([a.topic for a in acks]),
            ",".join([str(a.partition) for a in acks]), ",".join([str(a.offset) for a in acks]),
        ))


def mark_failed(conn: psycopg.Connection, failures: list[Failure], max_attempts: int, delay: float,
                max_delay: float) -> list[tuple[str, str]]:
    """Count one attempt for each row's own failure; return (id, key) of the rows parked now."""
    if not failures:
        return []
    rows = conn.execute(MARK_FAILED, {
        "ids": [f.row_id for f in failures], "errors": [f.error[:2000] for f in failures],
        "max_attempts": max_attempts, "delay": delay, "max_delay": max_delay,
    }).fetchall()
    return [(str(row_id), key) for row_id, key, parked in rows if parked]


def stranded(cursor, shards: int) -> int:
    """Unpublished rows in shards >= `shards`, which no relay serves (OUTBOX_SHARDS was lowered)."""
    cursor.execute(STRANDED, (shards,))
    return cursor.fetchone()[0]
