"""Worker threads that run a channel's sends concurrently, so a slow provider does not cap throughput.

Records with the same key go to the same worker, so one key's messages keep their
order; each worker owns its channel instance (its own provider connection) and its
own database connection. Outcomes go back to the consume loop, which alone talks to Kafka.
"""
from __future__ import annotations

import logging
import queue
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection

from chesanto_comms.backoff import Backoff
from chesanto_comms.logging import log_context
from consumers.channels import Channel
from consumers.events import InboundEvent
from consumers.outcomes import Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    msg: object  # the confluent_kafka.Message as read
    event: InboundEvent
    attempt: int  # 0 for the first delivery, n for the n-th retry
    final_attempt: bool


@dataclass(frozen=True)
class Outcome:
    job: Job
    verdict: Verdict
    error: Exception | None = None  # why, for DEAD_LETTER
    retry_after: float | None = None  # seconds the provider asked to wait, for RETRY


class WorkerPool:
    def __init__(self, channel_factory: Callable[[], Channel], size: int, stopping: threading.Event):
        self.results: queue.Queue[Outcome] = queue.Queue()
        self.stopping = stopping
        self._queues = [queue.Queue() for _ in range(size)]
        self._threads = [
            threading.Thread(target=self._work, args=(channel_factory, q), name=f"send-{i}", daemon=True)
            for i, q in enumerate(self._queues)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> None:
        self._queues[zlib.crc32(job.event.key.encode()) % len(self._queues)].put(job)

    def shutdown(self, timeout: float = 10.0) -> None:
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join(timeout)

    def _work(self, channel_factory: Callable[[], Channel], jobs: queue.Queue) -> None:
        channel = channel_factory()
        try:
            while (job := jobs.get()) is not None:
                self.results.put(self._run(channel, job))
        finally:
            channel.close()
            connection.close()

    def _run(self, channel: Channel, job: Job) -> Outcome:
        with log_context(event_id=job.event.id, trace_id=job.event.trace_id):
            return self._deliver(channel, job)

    def _deliver(self, channel: Channel, job: Job) -> Outcome:
        backoff = Backoff()
        while True:
            close_old_connections()
            try:
                delivery = channel.deliver(job.event, final_attempt=job.final_attempt)
                return Outcome(job, delivery.verdict, delivery.error, delivery.retry_after)
            except (OperationalError, InterfaceError) as exc:
                # The database is away: nothing is final, so keep trying (only this worker
                # waits; the loop keeps polling). On shutdown, leave it for redelivery.
                if self.stopping.is_set():
                    return Outcome(job, Verdict.ABANDONED, exc)
                delay = backoff.next_delay()
                log.warning("database unavailable (%s); event %s again in %.1fs", exc, job.event.id, delay)
                self.stopping.wait(delay)
            except DatabaseError as exc:  # DataError, IntegrityError, …: this record's data; waiting will not help
                log.error("event %s: its log row cannot be written (%s: %s)", job.event.id, type(exc).__name__, exc)
                return Outcome(job, Verdict.DEAD_LETTER, exc)
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker: dead-letter the record
                log.exception("event %s: unexpected error", job.event.id)
                return Outcome(job, Verdict.DEAD_LETTER, exc)
