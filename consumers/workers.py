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

from django.db import DataError, IntegrityError, InterfaceError, OperationalError, close_old_connections, connection

from chesanto_comms.backoff import Backoff
from chesanto_comms.logging import log_context
from consumers.channels import Channel
from consumers.events import InboundEvent
from consumers.outcomes import Verdict

log = logging.getLogger(__name__)
BATCH = 32  # records one sender delivers together: their log rows in one INSERT, finished in one UPDATE


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
            while batch := self._next_batch(jobs):
                for outcome in self._run(channel, batch):
                    self.results.put(outcome)
        finally:
            channel.close()
            connection.close()

    @staticmethod
    def _next_batch(jobs: queue.Queue) -> list[Job]:
        """The next job, and whatever else is queued behind it (up to BATCH), in order; [] to stop."""
        batch = []
        job = jobs.get()
        while job is not None:
            batch.append(job)
            if len(batch) >= BATCH:
                break
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                break
        else:
            jobs.put(None)  # the stop mark: seen after this batch
        return batch

    def _run(self, channel: Channel, batch: list[Job]) -> list[Outcome]:
        try:
            return self._deliver(channel, batch)
        except (DataError, IntegrityError):
            if len(batch) == 1:
                raise
            # One record's data the database refuses: find it by delivering them one at a time.
            return [outcome for job in batch for outcome in self._run(channel, [job])]

    def _deliver(self, channel: Channel, batch: list[Job]) -> list[Outcome]:
        backoff = Backoff()
        while True:
            close_old_connections()
            try:
                deliveries = channel.deliver_many([job.event for job in batch], [job.final_attempt for job in batch])
                return [Outcome(job, d.verdict, d.error, d.retry_after) for job, d in zip(batch, deliveries)]
            except (OperationalError, InterfaceError) as exc:
                # The database is away: nothing is final, so keep trying (only this worker
                # waits; the loop keeps polling). On shutdown, leave them for redelivery.
                if self.stopping.is_set():
                    return [Outcome(job, Verdict.ABANDONED, exc) for job in batch]
                delay = backoff.next_delay()
                log.warning("database unavailable (%s); %d events again in %.1fs", exc, len(batch), delay)
                self.stopping.wait(delay)
            except (DataError, IntegrityError) as exc:  # this record's data; waiting will not help
                if len(batch) > 1:
                    raise
                with log_context(event_id=batch[0].event.id, trace_id=batch[0].event.trace_id):
                    log.error("its log row cannot be written (%s: %s)", type(exc).__name__, exc)
                return [Outcome(batch[0], Verdict.DEAD_LETTER, exc)]
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker: dead-letter the records
                log.exception("%d events: unexpected error", len(batch))
                return [Outcome(job, Verdict.DEAD_LETTER, exc) for job in batch]
