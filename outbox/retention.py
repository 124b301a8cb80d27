"""Purging published outbox rows older than the retention, in small batches.

Each batch is its own short transaction (the caller's cursor is in autocommit), so purging
never holds many row locks or a long snapshot, and vacuum reclaims the space as it goes.
Only published rows are deleted: pending and parked rows stay whatever their age.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

# created_at <= published_at, so the created_at bound lets the scan use outbox_created_idx.
PURGE = """
DELETE FROM outbox_event WHERE id IN (
    SELECT id FROM outbox_event
    WHERE created_at < now() - %(age)s AND published_at < now() - %(age)s {shards}
    ORDER BY created_at
    LIMIT %(limit)s)
"""


def purge_batch(cursor, older_than: timedelta, limit: int, shards: list[int] | None = None) -> int:
    """Delete up to `limit` published rows older than `older_than`; return how many."""
    sql = PURGE.format(shards="AND shard = ANY(%(shards)s)" if shards is not None else "")
    cursor.execute(sql, {"age": older_than, "limit": limit, "shards": shards})
    return max(cursor.rowcount, 0)


def purge(cursor, older_than: timedelta, batch_size: int, shards: list[int] | None = None,
          budget: float | None = None, should_stop: Callable[[], bool] = lambda: False) -> tuple[int, bool]:
    """Purge batch after batch; return (rows deleted, True if nothing old is left).

    Stops early, returning False, when `budget` seconds are spent or `should_stop()` says so.
    """
    deadline = time.monotonic() + budget if budget is not None else None
    deleted = 0
    while True:
        count = purge_batch(cursor, older_than, batch_size, shards)
        deleted += count
        if count < batch_size:
            return deleted, True
        if should_stop() or (deadline is not None and time.monotonic() >= deadline):
            return deleted, False
