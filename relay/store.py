"""SQL the relay runs against the outbox table."""
from __future__ import annotations

import psycopg
from psycopg.rows import class_row

from relay.publisher import Ack, Failure
from relay.records import ClaimedRow

# Committed, unpublished rows in insertion order. SKIP LOCKED lets a second relay
# pass over rows this one holds; the partial index keeps the scan to the backlog.
CLAIM = """
SELECT id, aggregatetype, aggregateid, type, payload, headers, created_at
FROM outbox_event
WHERE published_at IS NULL
ORDER BY seq
LIMIT %s
FOR UPDATE SKIP LOCKED
"""

MARK_PUBLISHED = """
UPDATE outbox_event AS o
SET published_at = now(), kafka_topic = a.topic, kafka_partition = a.part, kafka_offset = a.pos,
    attempts = o.attempts + 1, last_error = ''
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::bigint[]) AS a(id, topic, part, pos)
WHERE o.id = a.id
"""

MARK_FAILED = """
UPDATE outbox_event AS o
SET attempts = o.attempts + 1, last_error = f.error
FROM unnest(%s::uuid[], %s::text[]) AS f(id, error)
WHERE o.id = f.id
"""


def claim(conn: psycopg.Connection, limit: int) -> list[ClaimedRow]:
    with conn.cursor(row_factory=class_row(ClaimedRow)) as cur:
        return cur.execute(CLAIM, (limit,)).fetchall()


def mark_published(conn: psycopg.Connection, acks: list[Ack]) -> None:
    if acks:
        conn.execute(MARK_PUBLISHED, (
            [a.row_id for a in acks], [a.topic for a in acks], [a.partition for a in acks], [a.offset for a in acks],
        ))


def mark_failed(conn: psycopg.Connection, failures: list[Failure]) -> None:
    if failures:
        conn.execute(MARK_FAILED, ([f.row_id for f in failures], [f.error[:2000] for f in failures]))
