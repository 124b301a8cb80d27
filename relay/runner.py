"""The relay loop: claim a batch, publish it, mark what the broker acknowledged.

A row is marked published only after its delivery report says the broker has it
(acks=all); the claim's row locks are held until then, so no other relay can
publish the same rows meanwhile. The loop wakes on the emitter's NOTIFY and
polls every RELAY_POLL_INTERVAL seconds in case a notification was missed.
"""
from __future__ import annotations

import logging
import threading
import time

import psycopg
from confluent_kafka import KafkaException
from django.conf import settings

from config.backoff import Backoff

from config.topics import ensure_topics, topic_for
from outbox.emitter import NOTIFY_CHANNEL
from outbox.events import domains
from relay import db, store
from relay.publisher import Publisher
from relay.records import record_for

log = logging.getLogger(__name__)

# How long one wait for a NOTIFY may block before the stop flag is checked again.
STOP_CHECK_INTERVAL = 0.25


class Relay:
    def __init__(self, batch_size: int | None = None, poll_interval: float | None = None):
        self.batch_size = batch_size or settings.RELAY_BATCH_SIZE
        self.poll_interval = poll_interval if poll_interval is not None else settings.RELAY_POLL_INTERVAL
        self.stopping = threading.Event()
        self.published = 0
        self._backoff = Backoff()

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self) -> None:
        publisher = Publisher()
        log.info("relay started (batch %d, poll %.1fs)", self.batch_size, self.poll_interval)
        try:
            while not self.stopping.is_set():
                try:
                    self._serve(publisher)
                except (psycopg.Error, KafkaException, OSError) as exc:
                    delay = self._backoff.next_delay()
                    log.warning("relay error (%s); retrying in %.1fs", exc, delay)
                    self.stopping.wait(delay)
        finally:
            publisher.close()
            log.info("relay stopped after publishing %d events", self.published)

    def _serve(self, publisher: Publisher) -> None:
        ensure_topics([topic_for(d) for d in domains()])
        with db.connect() as work, db.connect(autocommit=True) as listener:
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self._backoff.reset()  # connected again
            log.info("relay connected; listening for NOTIFY on %s", NOTIFY_CHANNEL)
            while not self.stopping.is_set():
                if self.publish_batch(work, publisher) < self.batch_size:
                    self._wait_for_notify(listener)

    def publish_batch(self, conn: psycopg.Connection, publisher: Publisher) -> int:
        with conn.transaction():
            rows = store.claim(conn, self.batch_size)
            if not rows:
                return 0
            acks, failures = publisher.publish([record_for(row) for row in rows])
            store.mark_published(conn, acks)
            store.mark_failed(conn, failures)
        for failure in failures:
            log.error("event %s not published: %s", failure.row_id, failure.error)
        self.published += len(acks)
        return len(rows)

    def _wait_for_notify(self, listener: psycopg.Connection) -> None:
        deadline = time.monotonic() + self.poll_interval
        while not self.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            for _ in listener.notifies(timeout=min(remaining, STOP_CHECK_INTERVAL), stop_after=1):
                return

