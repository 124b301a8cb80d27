"""The threads that deliver a channel's records, so a slow provider does not cap throughput.

Records go to a few *lanes* by key (so one key's records keep their order). A lane takes what is
queued for it as a batch, opens the batch's log rows (its own database connection: one per lane,
not one per send), and hands the sends to a shared pool of *senders*, one task per key, each task
with a channel instance (a provider connection) of its own for the while. As each send returns,
the lane writes its row and, once all of an event's rows are written, reports the event's outcome
to the consume loop, which alone talks to Kafka.

A send is never repeated because of a fault after it: the lane keeps each send's result and tries
only the write again until the database takes it (or the process stops: then the rows stay claimed,
and the next process applies each notification's rule to them, consumers/claims.py).
"""
from __future__ import annotations

import logging
import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import DataError, IntegrityError, InterfaceError, OperationalError, close_old_connections, connection

from chesanto_comms.backoff import Backoff
from chesanto_comms.logging import log_context
from consumers.batch import Batch, KeyTask
from consumers.channels import Channel
from consumers.claims import ProcessLease
from consumers.delivery import MessageResult
from consumers.events import InboundEvent
from consumers.outcomes import MessageOutcome, Verdict
from consumers.sender_pool import ChannelPool

log = logging.getLogger(__name__)
BATCH = 32  # records one lane opens together: their log rows in one INSERT
LANES = 4  # lanes per process, each with one database connection
SETTLE_WAIT = 0.5  # seconds a lane waits for a send to return before it looks around again
# Seconds a lane gathers the sends returning after the first before it writes their rows, in one UPDATE:
# a row written a few milliseconds later, instead of one UPDATE per message (measured: bench/email_bench.py).
GATHER = 0.005


class Fence:
    """A partition as the consume loop holds it: revoked when the partition is taken away, after which
    its queued records are dropped and no provider call starts for them (their next owner sends)."""

    def __init__(self):
        self.revoked = False

    def revoke(self) -> None:
        self.revoked = True


@dataclass(frozen=True)
class Job:
    msg: object  # the confluent_kafka.Message as read
    event: InboundEvent
    attempt: int  # 0 for the first delivery, n for the n-th retry
    final_attempt: bool
    fence: Fence = field(default_factory=Fence, compare=False)


@dataclass(frozen=True)
class Outcome:
    job: Job
    verdict: Verdict
    error: Exception | None = None  # why, for DEAD_LETTER
    retry_after: float | None = None  # seconds the provider asked to wait, for RETRY


class Abandoned(Exception):
    """Stopping while the database is away: what is not written stays claimed for the next process."""


class Senders:
    """The shared pool of sender threads; each task borrows a channel instance (a provider connection)
    from the ChannelPool, which keeps as many as the provider takes (consumers/sender_pool.py)."""

    def __init__(self, channel_factory: Callable[[], Channel], size: int, on_limit: Callable[[int], None]):
        self.channels: ChannelPool[Channel] = ChannelPool(channel_factory, Channel.close, size, on_limit=on_limit)
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="send")

    def start(self, task: KeyTask) -> None:
        """Run the task on a sender thread; its messages settle in its batch as they are sent."""
        self._executor.submit(self.run_here, task)

    def run_here(self, task: KeyTask, after_each: Callable[[], None] = lambda: None) -> None:
        channel, crowded = self.channels.acquire(), False
        try:
            crowded = task.run(channel, after_each)
        except Abandoned:
            raise
        except BaseException as exc:  # the task itself broke (not a message: those never raise)
            log.exception("a send task failed")
            for position in task.positions:
                if task.batch.messages[position].result is None:
                    task.batch.settle(position, MessageResult(MessageOutcome.BROKEN, broken=exc))
            if not isinstance(exc, Exception):
                raise
        finally:
            self.channels.release(channel, crowded=crowded)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        self.channels.close()


class WorkerPool:
    def __init__(self, channel_factory: Callable[[], Channel], size: int, stopping: threading.Event,
                 lease: ProcessLease, on_limit: Callable[[int], None] = lambda limit: None):
        self.results: queue.Queue[Outcome] = queue.Queue()
        self.stopping = stopping
        self.lease = lease
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

    # --- one batch --------------------------------------------------------------------------
    def _run(self, channel: Channel, jobs: list[Job]) -> Iterator[Outcome]:
        """Each job's outcome, as soon as its rows are written."""
        live = []
        for job in jobs:
            if job.fence.revoked:  # its partition went to another consumer while it was queued
                yield Outcome(job, Verdict.ABANDONED)
            else:
                live.append(job)
        if not live:
            return
        batch = Batch(channel, [job.event for job in live], [job.final_attempt for job in live], self.lease)
        try:
            opened = self._open(batch)
        except Exception as exc:  # noqa: BLE001 - one record's data (or a bug): find it, deliver the others
            if len(live) > 1:
                for job in live:
                    yield from self._run(channel, [job])
                return
            with log_context(event_id=live[0].event.id, trace_id=live[0].event.trace_id):
                log.error("its log rows cannot be written (%s: %s)", type(exc).__name__, exc,
                          exc_info=not isinstance(exc, (DataError, IntegrityError)))
            yield Outcome(live[0], Verdict.DEAD_LETTER, exc)
            return
        if not opened:
            yield from (Outcome(job, Verdict.ABANDONED) for job in live)
            return
        tasks = batch.tasks(lambda i: self.lease.may_send() and not live[i].fence.revoked)
        try:
            if len(tasks) == 1:  # one key: no hand-over to another thread; each row written as its send returns
                self.senders.run_here(tasks[0], after_each=lambda: self._write(batch, batch.settled()))
            else:
                for task in tasks:
                    self.senders.start(task)
            while True:
                for i, delivery in batch.finished():
                    yield Outcome(live[i], delivery.verdict, delivery.error, delivery.retry_after)
                if batch.all_written:
                    return
                self._write(batch, batch.settled(timeout=SETTLE_WAIT, gather=GATHER))
        except Abandoned:
            for i, delivery in batch.finished():
                yield Outcome(live[i], delivery.verdict, delivery.error, delivery.retry_after)
            yield from (Outcome(job, Verdict.ABANDONED) for i, job in enumerate(live) if i not in batch.reported)

    def _open(self, batch: Batch) -> bool:
        """Open the batch's rows, waiting out a database that is away; False if stopping meanwhile."""
        backoff = Backoff()
        while True:
            close_old_connections()
            try:
                batch.open()
                return True
            except (OperationalError, InterfaceError) as exc:  # nothing was sent, nothing written: try again
                connection.close()
                if self.stopping.is_set():
                    return False
                delay = backoff.next_delay()
                log.warning("database unavailable (%s); %d events again in %.1fs", exc, len(batch.events), delay)
                self.stopping.wait(delay)

    def _write(self, batch: Batch, positions: list[int]) -> None:
        """Write settled rows until the database takes them; raise Abandoned if stopping meanwhile."""
        if not positions:
            return
        backoff = Backoff()
        while True:
            try:
                batch.write(positions)
                return
            except (OperationalError, InterfaceError) as exc:  # the sends are done: only the write is tried again
                connection.close()
                if self.stopping.is_set():
                    log.warning("stopping with %d sent messages' log rows unwritten (%s); they stay claimed, and "
                                "the next consumer applies each one's rule after this process's lease", len(positions),
                                exc)
                    raise Abandoned() from exc
                delay = backoff.next_delay()
                log.warning("database unavailable (%s); writing %d log rows again in %.1fs (not sending again)",
                            exc, len(positions), delay)
                self.stopping.wait(delay)
                close_old_connections()
