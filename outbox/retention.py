"""Purging outbox rows older than the retention, in small batches.

Each batch is its own short transaction (the caller's cursor is in autocommit), so purging
never holds many row locks or a long snapshot, and vacuum reclaims the space as it goes.
While the relay publishes, only published rows are deleted: pending and parked rows stay
whatever their age. While Debezium publishes (OUTBOX_PUBLISHER=debezium) no row is ever marked,
so rows are deleted by age alone; that loses nothing, because Debezium reads a row's INSERT from
the WAL (its replication slot keeps the WAL until Debezium has it), never from the table.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

# created_at <= published_at, so the created_at bound lets the scan use outbox_created_idx.
PURGE = """
DELETE FROM outbox_event WHERE id IN (
    SELECT id FROM outbox_event
    WHERE created_at < now() - %(age)s {published} {shards}
    ORDER BY created_at
    LIMIT %(limit)s)
"""
PUBLISHED_BEFORE = "AND published_at < now() - %(age)s"


def purge_batch(cursor, older_than: timedelta, limit: int, shards: list[int] | None = None, *,
                published_only: bool = True) -> int:
    """Delete up to `limit` rows older than `older_than` (published ones, unless not `published_only`)."""
    sql = PURGE.format(published=PUBLISHED_BEFORE if published_only else "",
                       shards="AND shard = ANY(%(shards)s)" if shards is not None else "")
    cursor.execute(sql, {"age": older_than, "limit": limit, "shards": shards})
    return max(cursor.rowcount, 0)


def purge(cursor, older_than: timedelta, batch_size: int, shards: list[int] | None = None, *,
          published_only: bool = True, budget: float | None = None,
          should_stop: Callable[[], bool] = lambda: False) -> tuple[int, bool]:
    """Purge batch after batch; return (rows deleted, True if nothing old is left).

    Stops early, returning False, when `budget` seconds are spent or `should_stop()` says so.
    """
    deadline = time.monotonic() + budget if budget is not None else None
    deleted = 0
    while True:
        count = purge_batch(cursor, older_than, batch_size, shards, published_only=published_only)
        deleted += count
        if count < batch_size:
            return deleted, True
        if should_stop() or (deadline is not None and time.monotonic() >= deadline):
            return deleted, False
