"""Marking a batch on a connection and thread of its own, while the relay publishes the next one.

The depth is one: the relay hands batch N over, claims and publishes batch N+1 while N's marks
commit, and waits for them before handing N+1 over. Until N is settled, the next claim leaves
out the rows of N being marked (by seq), and rows of keys whose row failed in N are held (the
failure's retry time is not in the table yet), so a mark still in flight never lets a row
overtake an earlier row of its key. Rows N held or lost to an outage are not being marked:
they are claimed again, in order. On a second core this hides most of the
cost of the UPDATE that marks rows, the largest single cost of a relay (docs/relay.md).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg

from chesanto_comms.conf import comms
from chesanto_comms.records import ClaimedRow
from relay import metrics, store
from relay.publisher import PublishResult

log = logging.getLogger(__name__)


class Marker:
    def __init__(self, connect: Callable[[], psycopg.Connection]):
        self._connect = connect
        self._conn: psycopg.Connection | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="relay-marker")
        self._pending: Future | None = None
        self.unsettled_seqs: list[int] = []  # rows being marked: left out of the next claim
        self.held_keys: set[str] = set()  # keys with a row failing in that batch: held until it is settled

    def submit(self, rows: list[ClaimedRow], result: PublishResult) -> None:
        """Wait for the previous batch's marks, then start this batch's."""
        self.settle()
        written = {a.row_id for a in result.acks} | {f.row_id for f in result.poison}
        self.unsettled_seqs = [row.seq for row in rows if row.id in written]
        failed = {f.row_id for f in result.poison}
        self.held_keys = {row.aggregateid for row in rows if row.id in failed}
        self._pending = self._executor.submit(self._mark, result)

    def settle(self) -> None:
        """Wait until the batch handed over last is marked; re-raise its database error, if any."""
        pending, self._pending = self._pending, None
        try:
            if pending is not None:
                pending.result()
        finally:
            self.unsettled_seqs, self.held_keys = [], set()

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def _mark(self, result: PublishResult) -> None:
        if self._conn is None:
            self._conn = self._connect()
        store.mark_published(self._conn, result.acks)
        parked = store.mark_failed(self._conn, result.poison, comms.RELAY_MAX_ATTEMPTS,
                                   comms.RELAY_RETRY_DELAY, comms.RELAY_RETRY_MAX_DELAY)
        for row_id, key in parked:
            metrics.PARKED.inc()
            log.error("event %s parked after %d attempts; later events of key %r wait behind it "
                      "(manage.py outbox_requeue --id %s)", row_id, comms.RELAY_MAX_ATTEMPTS, key, row_id)

    def close(self) -> None:
        """Finish the last batch's marks if the database lets us, then let go of the connection."""
        try:
            self.settle()
        except psycopg.Error as exc:
            log.warning("last marks not written (%s); those rows will be published again", exc)
        finally:
            self._executor.shutdown(wait=True)
            if self._conn is not None:
                self._conn.close()
