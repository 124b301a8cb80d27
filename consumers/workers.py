"""The threads that deliver a channel's records, so a slow provider does not cap throughput.

Records go to a few *lanes* by key (so one key's records keep their order); a lane takes what is
queued for it as a batch, writes the batch's log rows (its own database connection: one per lane,
not one per send), and hands the sends to a shared pool of *senders*, one task per key, each
task with a channel instance (a provider connection) of its own for the while; then the lane
finishes the rows. Outcomes go back to the consume loop, which alone talks to Kafka.
"""
from __future__ import annotations

import logging
import queue
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import DataError, IntegrityError, InterfaceError, OperationalError, close_old_connections, connection

from chesanto_comms.backoff import Backoff
from chesanto_comms.logging import log_context
from consumers.channels import Channel
from consumers.delivery import SendTask
from consumers.events import InboundEvent
from consumers.outcomes import Verdict
from consumers.sender_pool import ChannelPool

log = logging.getLogger(__name__)
BATCH = 32  # records one lane delivers together: their log rows in one INSERT, finished in one UPDATE
LANES = 4  # lanes per process, each with one database connection


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


class Senders:
    """The shared pool of sender threads; each task borrows a channel instance (a provider connection)
    from the ChannelPool, which keeps as many as the provider takes (consumers/sender_pool.py)."""

    def __init__(self, channel_factory: Callable[[], Channel], size: int, on_limit: Callable[[int], None]):
        self.channels: ChannelPool[Channel] = ChannelPool(channel_factory, Channel.close, size, on_limit=on_limit)
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="send")

    def run(self, tasks: list[SendTask]) -> None:
        """Run the tasks at once (each with a channel of its own); wait for all; raise the first failure."""
        if len(tasks) == 1:
            self._call(tasks[0])  # one key: no hand-over to another thread
            return
        for future in [self._executor.submit(self._call, task) for task in tasks]:
            future.result()

    def _call(self, task: SendTask) -> None:
        channel, crowded = self.channels.acquire(), False
        try:
            crowded = task(channel)
        except (OperationalError, InterfaceError):
            connection.close()  # this thread's connection is unusable now; the lane retries the batch
            raise
        finally:
            self.channels.release(channel, crowded=crowded)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        self.channels.close()


class WorkerPool:
    def __init__(self, channel_factory: Callable[[], Channel], size: int, stopping: threading.Event,
                 on_limit: Callable[[int], None] = lambda limit: None):
        self.results: queue.Queue[Outcome] = queue.Queue()
        self.stopping = stopping
        self.senders = Senders(channel_factory, size, on_limit)
        self._queues = [queue.Queue() for _ in range(min(LANES, size))]
        self._threads = [
            threading.Thread(target=self._work, args=(channel_factory, q), name=f"lane-{i}", daemon=True)
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
        self.senders.shutdown()

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
                deliveries = channel.deliver_many([job.event for job in batch], [job.final_attempt for job in batch],
                                                  run=self.senders.run)
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
