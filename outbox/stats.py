"""The outbox backlog in one query, for the admin, `outbox_status` and the relay's metrics."""
from __future__ import annotations

from typing import NamedTuple

BACKLOG = """
SELECT count(*) FILTER (WHERE parked_at IS NULL),
       count(*) FILTER (WHERE parked_at IS NOT NULL),
       extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL))::float8
FROM outbox_event WHERE published_at IS NULL
"""


class Backlog(NamedTuple):
    unpublished: int  # waiting to be published (parked rows excluded)
    parked: int
    oldest_unpublished_seconds: float | None  # age of the oldest of the waiting rows


def backlog(cursor) -> Backlog:
    """`cursor` is any DB-API cursor (psycopg's or Django's)."""
    cursor.execute(BACKLOG)
    return Backlog(*cursor.fetchone())
