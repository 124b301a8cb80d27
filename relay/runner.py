"""The relay loop: own a fair share of the shards, claim their rows, publish, mark what was acknowledged.

A row is marked published only after its delivery report says the broker has it (acks=all).
The loop wakes on the emitter's NOTIFY (on the connection that also claims and holds the shard
locks) and polls every RELAY_POLL_INTERVAL seconds in case one was missed. An outage (broker
unreachable, PostgreSQL gone) never ends the loop: it backs off (capped exponential with
jitter), reconnects and resumes where the table says it is.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from confluent_kafka import KafkaException

from chesanto_comms.backoff import Backoff
from chesanto_comms.conf import comms
from chesanto_comms.records import ClaimedRow, RecordBuilder
from chesanto_comms.startup import services_summary
from chesanto_comms.topics import ensure_topics, topic_for
from outbox import retention
from outbox.emitter import NOTIFY_CHANNEL
from outbox.events import domains
from relay import db, metrics, store
from relay.batching import AdaptiveBatch
from relay.marker import Marker
from relay.publisher import Publisher, PublishResult
from relay.shards import ShardLeases

log = logging.getLogger(__name__)

# How long one wait for a NOTIFY may block before the stop flag is checked again.
STOP_CHECK_INTERVAL = 0.25
PURGE_BUDGET = 0.5  # seconds of purging at a time; while behind, at most one such slice per 5 s


@dataclass(frozen=True)
class BatchOutcome:
    claimed: int
    limit: int
    published: int
    transient_error: str | None = None  # set when the broker side failed: back off before the next claim

    @property
    def full(self) -> bool:
        return self.claimed >= self.limit


class Relay:
    def __init__(self, batch_size: int | None = None, poll_interval: float | None = None, *,
                 batch_min: int | None = None, drain: bool = False, metrics_port: int | None = None):
        largest = batch_size or comms.RELAY_BATCH_SIZE
        self.batch = AdaptiveBatch(min(batch_min or comms.RELAY_BATCH_MIN, largest), largest)
        self.poll_interval = poll_interval if poll_interval is not None else comms.RELAY_POLL_INTERVAL
        self.rebalance_interval = comms.RELAY_REBALANCE_INTERVAL
        self.purge_interval = comms.RELAY_PURGE_INTERVAL
        self.release_interval = comms.RELAY_RELEASE_INTERVAL
        self.metrics_port = comms.RELAY_METRICS_PORT if metrics_port is None else metrics_port
        self.drain = drain
        self.shard_count = comms.OUTBOX_SHARDS
        self.stopping = threading.Event()
        self.published = 0
        self._backoff = Backoff(comms.RELAY_BACKOFF_INITIAL, comms.RELAY_BACKOFF_MAX)
        self._topics_ready = False
        self._connected = False
        self._outage: str | None = None  # what the last failed attempt to serve could not reach: database, broker
        self._last_loop = time.monotonic()

    def stop(self, *_args) -> None:
        self.stopping.set()

    # -- the outer loop: survive outages ------------------------------------------------------
    def run(self) -> None:
        status = metrics.serve(self.metrics_port, comms.RELAY_METRICS_ADDRESS, self.health)
        publisher = Publisher()
        log.info("relay started: %s; batch %d-%d, poll %.1fs, %d shards; metrics %s", services_summary(),
                 self.batch.smallest, self.batch.largest, self.poll_interval, self.shard_count,
                 f"{comms.RELAY_METRICS_ADDRESS}:{self.metrics_port}" if self.metrics_port else "off")
        try:
            while not self.stopping.is_set():
                try:
                    if self._serve(publisher):
                        break  # --drain: nothing left to claim
                except psycopg.Error as exc:
                    self._back_off("database", exc)
                except (KafkaException, OSError) as exc:
                    self._back_off("broker", exc)
        finally:
            publisher.close()
            metrics.SHARDS_OWNED.set(0)
            if status:
                status.stop()
            log.info("relay stopped after publishing %d events", self.published)

    def health(self) -> tuple[bool, dict]:
        """Healthy while connected to PostgreSQL and the loop turns (it waits at most a poll interval).
        Anyone who reaches the port reads this: it names what is down, never an error's text (the log has it)."""
        stalled = time.monotonic() - self._last_loop > max(60.0, 10 * self.poll_interval)
        details = {"connected": self._connected, "published": self.published, "stopping": self.stopping.is_set()}
        if not self._connected and self._outage:
            details["down"] = [self._outage]
            details["reason"] = f"cannot reach the {self._outage} (backing off; see the relay's log)"
        elif not self._connected:
            details["reason"] = "connecting"
        elif stalled:
            details["reason"] = "the relay loop has not turned for over a minute"
        return self._connected and not stalled and not self.stopping.is_set(), details

    def _back_off(self, kind: str, exc: Exception) -> None:
        metrics.ERRORS.labels(kind).inc()
        if not self._connected:
            self._outage = kind
        delay = self._backoff.next_delay()
        log.warning("relay %s error (%s); retrying in %.1fs", kind, str(exc).strip() or type(exc).__name__, delay)
        self.stopping.wait(delay)

    def _serve(self, publisher: Publisher) -> bool:
        if not self._topics_ready:
            ensure_topics([topic_for(d) for d in domains()])
            self._topics_ready = True
        with db.connect() as conn:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            leases = ShardLeases(conn, self.shard_count)
            with conn.cursor() as cursor:
                if stranded := store.stranded(cursor, self.shard_count):
                    log.error("%d unpublished rows have a shard >= OUTBOX_SHARDS=%d: no relay will publish them "
                              "(see docs/relay.md, 'Changing OUTBOX_SHARDS')", stranded, self.shard_count)
            log.info("relay connected; listening for NOTIFY on %s", NOTIFY_CHANNEL)
            marker = Marker(db.connect)
            self._connected, self._outage = True, None
            try:
                return self._loop(conn, publisher, leases, marker)
            finally:
                self._connected = False
                marker.close()
                metrics.SHARDS_OWNED.set(0)

    # -- the inner loop: one connection's life ----------------------------------------------------
    def _loop(self, conn: psycopg.Connection, publisher: Publisher, leases: ShardLeases, marker: Marker) -> bool:
        next_rebalance = next_poll = next_release = 0.0
        next_purge = time.monotonic() + self.purge_interval if self.purge_interval > 0 else math.inf
        claim_now = True
        while not self.stopping.is_set():
            now = self._last_loop = time.monotonic()
            if now >= next_rebalance:
                marker.settle()  # shards change hands only with every claimed row settled
                claim_now |= leases.rebalance()
                metrics.SHARDS_OWNED.set(len(leases.owned))
                next_rebalance = now + self.rebalance_interval
            if leases.owned and now >= next_purge:
                caught_up = self._purge(conn, leases.owned)
                next_purge = time.monotonic() + (self.purge_interval if caught_up else 10 * PURGE_BUDGET)
            if leases.owned and now >= next_release:
                released = store.release(conn, leases.owned, self.batch.largest)
                metrics.RELEASED.inc(released)
                claim_now |= released > 0
                # More may be due at once (a backlog of them): look again straight after this claim.
                next_release = now if released >= self.batch.largest else now + self.release_interval
            if leases.owned and (claim_now or now >= next_poll):
                outcome = self.publish_batch(conn, publisher, leases.owned, marker)
                next_poll = time.monotonic() + self.poll_interval
                if outcome.transient_error:
                    self._back_off("broker", RuntimeError(outcome.transient_error))
                    claim_now = True
                    continue
                if outcome.published:
                    self._backoff.reset()
                if outcome.full:
                    claim_now = True
                    self._discard_notifies(conn)  # the claim that follows sees what they announced
                    continue
                if outcome.claimed == 0 and marker.busy:
                    marker.settle()  # its held rows are claimable again
                    claim_now = True
                    continue
                if self.drain:
                    if outcome.claimed == 0:
                        return True
                    claim_now = True  # a short batch: look again at once, not after a poll interval
                    continue
            elif self.drain and not leases.owned:
                log.warning("--drain: this relay owns no shards (others run); nothing to drain")
                return True
            deadline = min(next_poll, next_rebalance, next_purge, next_release if leases.owned else math.inf)
            claim_now = self._wait_for_notify(conn, deadline)
        return False

    def publish_batch(self, conn: psycopg.Connection, publisher: Publisher, shards: list[int],
                      marker: Marker) -> BatchOutcome:
        """Claim, publish, and hand the outcome to the marker (which writes it while we go on)."""
        limit = self.batch.size
        rows = store.claim(conn, shards, limit, marker.unsettled_seqs)
        self.batch.record(len(rows))
        metrics.BATCH_LIMIT.set(self.batch.size)
        if not rows:
            return BatchOutcome(0, limit, 0)
        result = publisher.publish(rows, RecordBuilder(), abort=self.stopping, held_keys=marker.held_keys)
        marker.submit(rows, result)
        self.published += len(result.acks)
        self.observe(rows, result)
        transient = result.transient
        error = f"{len(transient)} of {len(rows)} rows not acknowledged: {transient[0].error}" if transient else None
        return BatchOutcome(len(rows), limit, len(result.acks), error)

    def observe(self, rows: list[ClaimedRow], result: PublishResult) -> None:
        """Metrics and logs for one batch (a benchmark may extend it to time each ack)."""
        if result.acks:
            created = {row.id: row.created_at.timestamp() for row in rows}
            for topic, count in Counter(a.topic for a in result.acks).items():
                metrics.PUBLISHED.labels(topic).inc(count)
            for ack in result.acks:
                metrics.LATENCY.observe(max(ack.acked_at - created[ack.row_id], 0.0))
        attempts = {row.id: row.attempts for row in rows}
        for failure in result.poison:
            metrics.ERRORS.labels("row").inc()
            log.warning("event %s not published (attempt %d of %d): %s", failure.row_id,
                        attempts[failure.row_id] + 1, comms.RELAY_MAX_ATTEMPTS, failure.error)
        if any(f.fatal for f in result.failures):
            metrics.ERRORS.labels("fatal").inc()
        for key in result.order_hazards:
            metrics.ERRORS.labels("order_hazard").inc()
            log.warning("key %r: a row failed but a later row of the key was acknowledged in the same batch; "
                        "Kafka may hold them out of order", key)

    def _purge(self, conn: psycopg.Connection, shards: list[int]) -> bool:
        with conn.cursor() as cursor:
            deleted, caught_up = retention.purge(
                cursor, timedelta(hours=comms.OUTBOX_RETENTION_HOURS), comms.OUTBOX_PURGE_BATCH,
                shards, budget=PURGE_BUDGET, should_stop=self.stopping.is_set)
        if deleted:
            log.info("purged %d published rows older than %gh from %d shards", deleted,
                     comms.OUTBOX_RETENTION_HOURS, len(shards))
        return caught_up

    # -- waiting ----------------------------------------------------------------------------------
    def _wait_for_notify(self, conn: psycopg.Connection, deadline: float) -> bool:
        """Wait for a NOTIFY until `deadline` (monotonic); True if one came."""
        while not self.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            notified = False
            # Run the generator to its end (stop_after=1 ends it): it holds the connection's lock till then.
            for _ in conn.notifies(timeout=min(remaining, STOP_CHECK_INTERVAL), stop_after=1):
                notified = True
            if notified:
                self._discard_notifies(conn)
                return True
        return False

    @staticmethod
    def _discard_notifies(conn: psycopg.Connection) -> None:
        """Consume NOTIFYs already received; many emits are answered by one claim."""
        for _ in conn.notifies(timeout=0):
            pass
