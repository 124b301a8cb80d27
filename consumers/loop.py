"""The consume loop shared by every channel.

One consumer per process reads the channel's domain topics and its retry topic in
the channel's group. Records are parsed here (poison ones are dead-lettered at
once) and handed to worker threads; an offset is stored only after its record's
log rows are final (or the record was re-published to the retry or dead-letter
topic and acknowledged), and only once every earlier record of its partition is
done. librdkafka's auto-commit commits stored offsets; we also commit
synchronously on partition revoke and before close.

On revoke, the partition's fence drops its queued records and stops provider calls
not yet started for them; the sends in progress finish and their offsets are
committed before the partition is handed over. Whatever a fence misses, the claims
on log rows catch (consumers/claims.py): two processes never send one row at once.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties, consumer_properties, producer_properties
from chesanto_comms.startup import services_summary
from chesanto_comms.status_server import StatusServer
from chesanto_comms.topics import ensure_topics, topic_for
from consumers import metrics, retry
from consumers.channels import Channel, get_channel
from consumers.claims import ProcessLease
from consumers.dead_letters import dead_letter, dead_letter_topic
from consumers.events import POISON, PoisonRecord, check_signature, decode_headers, event_from_message, read_headers
from consumers.offsets import PartitionProgress
from consumers.outcomes import Verdict
from consumers.publish import RecordTooLarge, publish_and_wait
from consumers.releaser import Releaser
from consumers.workers import Fence, Job, Outcome, WorkerPool

log = logging.getLogger(__name__)

CONSUMER_DEFAULTS = {
    "enable.auto.commit": "true",
    "enable.auto.offset.store": "false",  # we store an offset only once its record is fully handled
    "auto.commit.interval.ms": "1000",
    "auto.offset.reset": "earliest",
}
PRODUCER_DEFAULTS = {"enable.idempotence": "true", "acks": "all", "linger.ms": "0"}
POLL_TIMEOUT = 0.1  # seconds; short, so SIGTERM and finished sends are noticed quickly
CONSUME_BATCH = 100  # records taken from librdkafka per call (at most the room left under the in-flight limit)
STALL_PAUSE = 5.0  # seconds at the in-flight limit with no sender finishing before the partitions are paused
LAG_INTERVAL = 5.0  # seconds between consumer-lag gauge updates
STALL_AFTER = 60.0  # /healthz fails when the loop has not polled for this long


def partition_list(partitions) -> str:
    """`chesanto.auth[0,3] chesanto.sales[1]`: which partitions, compactly."""
    by_topic: dict[str, list[int]] = defaultdict(list)
    for tp in partitions:
        by_topic[tp.topic].append(tp.partition)
    return " ".join(f"{topic}[{','.join(map(str, sorted(ps)))}]" for topic, ps in sorted(by_topic.items())) or "none"


def group_id_for(channel_name: str) -> str:
    return f"{comms.CONSUMER_GROUP_PREFIX}{channel_name}"


class ChannelConsumer:
    def __init__(self, channel_name: str, group_id: str | None = None, concurrency: int | None = None,
                 metrics_port: int | None = None, *, channel_factory: Callable[[], Channel] | None = None,
                 consumer_factory: Callable[[dict], Consumer] = Consumer,
                 producer_factory: Callable[[dict], Producer] = Producer,
                 topic_creator: Callable[[list[str]], object] = ensure_topics):
        """The keyword-only factories are a seam for tests (consumers/testing/memory_broker.py): by default
        the registered channel, confluent_kafka's clients and the broker's own topics."""
        self._new_channel = channel_factory or (lambda: get_channel(channel_name))
        self._new_consumer, self._new_producer, self._create_topics = consumer_factory, producer_factory, topic_creator
        self.channel = self._new_channel()  # the loop's own instance: routing only, never sends
        self.name = channel_name
        self.group_id = group_id or group_id_for(channel_name)
        self.delivery = self.channel.delivery
        self.policy = retry.RetryPolicy.of(self.delivery)
        self.source_topics = [topic_for(domain) for domain in self.channel.domains()]
        self.retry_topic = retry.retry_topic(channel_name)
        self.concurrency = concurrency or self.delivery.concurrency
        self.max_in_flight = self.concurrency * 8
        self.metrics_port = comms.CONSUMER_METRICS_PORT if metrics_port is None else metrics_port
        self.stopping = threading.Event()
        self.handled = 0
        self._progress: dict[tuple[str, int], PartitionProgress] = defaultdict(PartitionProgress)
        self._fences: dict[tuple[str, int], Fence] = defaultdict(Fence)  # the partitions held now
        self._held: dict[tuple[str, int], int] = defaultdict(int)  # records in flight per partition
        self._revoking: set[tuple[str, int]] = set()  # partitions being handed over (on_revoke)
        self._assigned: list = []  # partitions assigned since the loop last looked: their pause state is set afresh
        self._in_flight = 0
        self._waiting_retries: dict[tuple[str, int], float] = {}  # retry partitions paused until due
        self._throttled = False
        self._stalled_since: float | None = None  # at the in-flight limit with no outcome since
        self._last_poll = time.monotonic()
        self._next_lag_update = 0.0

    def stop(self, *_args) -> None:
        self.stopping.set()

    # --- lifecycle ----------------------------------------------------------
    def run(self) -> None:
        read = self.source_topics + [self.retry_topic]
        self._create_topics(read + [dead_letter_topic(t) for t in read])
        self.consumer = self._new_consumer(
            consumer_properties({**CONSUMER_DEFAULTS, **client_properties(), "group.id": self.group_id}))
        self.producer = self._new_producer(producer_properties({**PRODUCER_DEFAULTS, **client_properties()}))
        self.lease = ProcessLease.for_role(self.name, self.delivery.timeout).start()
        self.pool = WorkerPool(self._new_channel, self.concurrency, self.stopping, self.lease,
                               on_limit=metrics.SENDERS.labels(self.name).set)
        self.consumer.subscribe(self.source_topics + [self.retry_topic], on_assign=self._on_assign,
                                on_revoke=self._on_revoke)
        # held messages (quiet hours) go out from a thread of their own when due: no partition waits for them
        releaser = Releaser(self._new_channel, self.lease, self.stopping).start() if hasattr(self.channel, "log_model") else None
        status = StatusServer(self.metrics_port, self.health, comms.CONSUMER_METRICS_ADDRESS).start()
        log.info("%s consumer started: %s; group %s reading %s; %d senders; metrics %s; claims as %s", self.name,
                 services_summary(), self.group_id, ", ".join(self.source_topics + [self.retry_topic]),
                 self.concurrency, f"{comms.CONSUMER_METRICS_ADDRESS}:{self.metrics_port}" if self.metrics_port else "off",
                 self.lease.token)
        try:
            while not self.stopping.is_set():
                self._start_assigned()
                self._resume_due_retries()
                if self._wait_for_senders():
                    continue
                batch = self._read()
                self._last_poll = time.monotonic()
                self._collect()
                self._update_lag()
                for msg in batch:
                    if msg.error():
                        self._on_kafka_error(msg.error())
                    elif (msg.topic(), msg.partition()) not in self._waiting_retries:
                        self._accept(msg)
                    # else: its retry partition was just paused and rewound; it is read again when due
                self._throttle()
        finally:
            self._drain(timeout=self.delivery.timeout + 5)  # finish in-flight sends
            if releaser is not None:
                releaser.join(timeout=self.delivery.timeout + 5)
            self._commit()
            self.consumer.close()
            self.pool.shutdown()
            self.lease.stop()
            self.producer.flush(10)
            self.channel.close()
            status.stop()
            log.info("%s consumer stopped after %d records", self.name, self.handled)

    # --- reading ------------------------------------------------------------
    def _read(self) -> list:
        """The next record as soon as one is there (poll returns at once), then whatever librdkafka
        already holds behind it, up to the room under the in-flight limit. consume() alone would wait
        its whole timeout for a full batch: at 20 events/s that added ~65 ms to every message."""
        first = self.consumer.poll(POLL_TIMEOUT)
        if first is None:
            return []
        room = min(CONSUME_BATCH, self.max_in_flight - self._in_flight) - 1
        return [first, *self.consumer.consume(num_messages=room, timeout=0)] if room > 0 else [first]

    def _accept(self, msg) -> None:
        try:
            raw_headers = read_headers(msg)
        except PoisonRecord as exc:
            raw_headers, headers, unreadable = [], {}, exc
        else:
            headers, unreadable = decode_headers(raw_headers), None
        tp = (msg.topic(), msg.partition())
        from_retry = msg.topic() == self.retry_topic
        attempt, due = 0, 0.0
        if from_retry and unreadable is None:
            try:  # before any wait: a record that is not ours must not pause its partition
                attempt = retry.check_retry_headers(headers)
                check_signature(msg, headers)
                due = self.policy.checked_due(headers, time.time())
            except PoisonRecord as exc:
                unreadable = exc
            if unreadable is None and due > time.time():
                self._wait_for(tp, msg.offset(), due)
                return
        self._progress[tp].started(msg.offset())
        self._held[tp] += 1
        self._in_flight += 1
        try:
            if unreadable is not None:
                raise unreadable
            event = event_from_message(msg, headers)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with a record is that record's: dead-letter it
            if not isinstance(exc, POISON):
                log.warning("record %s[%d]@%d cannot be read (%s: %s)", *tp, msg.offset(), type(exc).__name__, exc)
            self._dead_letter(msg, raw_headers, headers, exc)
            return
        if not self.channel.handles(event.type):
            self._finished(msg, "ignored")
            return
        self.pool.submit(Job(msg, event, attempt, final_attempt=self.policy.is_final(attempt), fence=self._fences[tp]))

    def _wait_for(self, tp: tuple[str, int], offset: int, due: float) -> None:
        """Not due yet: read this record again later, and meanwhile nothing else from its retry partition."""
        partition = TopicPartition(tp[0], tp[1], offset)
        self.consumer.seek(partition)
        self.consumer.pause([partition])
        self._waiting_retries[tp] = due

    def _start_assigned(self) -> None:
        """librdkafka keeps a partition paused across a rebalance that gives it back to this consumer
        (librdkafka#1849): a retry partition paused for a record it no longer waits for would never be
        read again. So each newly assigned partition starts afresh: read, or paused while throttled."""
        if self._assigned:
            partitions, self._assigned = self._assigned, []
            # a retry partition already waiting for a record read since (the same poll) stays paused until it is due
            partitions = [tp for tp in partitions if (tp.topic, tp.partition) not in self._waiting_retries]
            (self.consumer.pause if self._throttled else self.consumer.resume)(partitions)

    def _resume_due_retries(self) -> None:
        now = time.time()
        for tp, due in list(self._waiting_retries.items()):
            if due <= now and not self._throttled:
                self.consumer.resume([TopicPartition(*tp)])
                del self._waiting_retries[tp]

    def _wait_for_senders(self) -> bool:
        """At the in-flight limit, wait for the senders' outcomes rather than read more; True if it waited.

        Not polling leaves librdkafka's prefetched records in place, so reading goes on at
        once; pausing the partitions drops them, and after resume() the next record took
        ~0.5 s to arrive (measured with Tansu), long enough for every sender to go idle.
        Only senders stuck for STALL_PAUSE seconds (a hung provider or database) get the
        partitions paused, so that the loop polls again (heartbeats, rebalances) meanwhile.
        """
        if self._throttled or self._in_flight < self.max_in_flight:
            self._stalled_since = None
            return False
        if self._collect(timeout=POLL_TIMEOUT):
            self._stalled_since = None
            return True
        now = time.monotonic()
        self._stalled_since = self._stalled_since or now
        if now - self._stalled_since < STALL_PAUSE:
            return True
        self.consumer.pause(self.consumer.assignment())
        self._throttled = True
        return False

    def _throttle(self) -> None:
        """Resume the partitions _wait_for_senders paused once the senders have caught up."""
        if self._throttled and self._in_flight <= self.max_in_flight // 2:
            self.consumer.resume([tp for tp in self.consumer.assignment()
                                  if (tp.topic, tp.partition) not in self._waiting_retries])
            self._throttled = False

    # --- outcomes -----------------------------------------------------------
    def _collect(self, timeout: float = 0.0) -> bool:
        """Apply the outcomes workers reported; True if there was at least one."""
        got = False
        while True:
            try:
                outcome: Outcome = self.pool.results.get(timeout=timeout if not got else 0)
            except queue.Empty:
                return got
            got = True
            self._apply(outcome)

    def _apply(self, outcome: Outcome) -> None:
        """Act on a record's verdict; each path ends with its offset stored, except ABANDONED and the
        outcomes of a partition handed over (its next owner reads the record again)."""
        msg, headers = outcome.job.msg, outcome.job.event.headers
        tp = (msg.topic(), msg.partition())
        handed_over = outcome.job.fence.revoked and (tp not in self._revoking or outcome.verdict is Verdict.LATER)
        if outcome.verdict is Verdict.ABANDONED or handed_over:
            self._in_flight -= 1
            self._held[tp] -= 1
        elif outcome.verdict in (Verdict.RETRY, Verdict.LATER):
            try:
                self._schedule_retry(outcome.job, outcome.retry_after, counted=outcome.verdict is Verdict.RETRY)
            except RecordTooLarge as exc:  # with the retry headers it no longer fits the topic
                self._dead_letter(msg, read_headers(msg), headers, exc)
                return
            self._finished(msg, "retry_scheduled")
        elif outcome.verdict is Verdict.DEAD_LETTER:
            self._dead_letter(msg, read_headers(msg), headers, outcome.error)
        else:
            self._finished(msg, "delivered")

    def _schedule_retry(self, job: Job, asked: float | None, counted: bool = True) -> None:
        """Re-publish the record to the retry topic: as its next attempt, or (not counted: a row another
        process held) as the same attempt, read again after LATER_DELAY."""
        attempt = job.attempt + 1 if counted else job.attempt
        delay = self.policy.delay(attempt, asked) if counted else retry.LATER_DELAY
        reason = "transient failure" if counted else "its log row was held by another process"
        headers = retry.retry_headers(job.msg, job.event.headers, attempt, delay, reason, self.source_topics)
        publish_and_wait(self.producer, self.retry_topic, job.msg.value(), job.msg.key(), headers)
        if counted:
            log.info("event %s: retry %d/%d in %.0fs", job.event.id, attempt, self.policy.max_retries, delay)
        else:
            log.info("event %s: read again in %.0fs (%s)", job.event.id, delay, reason)

    def _dead_letter(self, msg, raw_headers, headers: dict[str, str], error: Exception) -> None:
        source = retry.source_of(msg, headers, self.source_topics)
        dead_letter(self.producer, self.name, msg, raw_headers, source, error, self.stopping)
        log.error("dead-lettered %s[%d]@%d: %s", *source, error)
        self._finished(msg, "dead_lettered")

    def _finished(self, msg, outcome: str) -> None:
        """The record is fully handled: store the partition's offset if every earlier record is too."""
        self._in_flight -= 1
        self._held[(msg.topic(), msg.partition())] -= 1
        self.handled += 1
        metrics.RECORDS.labels(self.name, msg.topic(), outcome).inc()
        position = self._progress[(msg.topic(), msg.partition())].finished(msg.offset())
        if position is not None:
            try:
                self.consumer.store_offsets(offsets=[TopicPartition(msg.topic(), msg.partition(), position)])
            except KafkaException as exc:  # the partition was revoked meanwhile: its next owner re-reads
                log.info("offset for %s[%d] not stored: %s", msg.topic(), msg.partition(), exc)

    # --- monitoring ---------------------------------------------------------
    def _update_lag(self) -> None:
        now = time.monotonic()
        if now < self._next_lag_update:
            return
        self._next_lag_update = now + LAG_INTERVAL
        metrics.IN_FLIGHT.labels(self.name).set(self._in_flight)
        try:
            for tp in self.consumer.position(self.consumer.assignment()):
                low, high = self.consumer.get_watermark_offsets(tp, cached=True) or (0, 0)
                position = tp.offset if tp.offset >= 0 else low
                metrics.CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(high - position, 0))
        except KafkaException as exc:
            log.debug("lag not updated: %s", exc)

    def health(self) -> tuple[bool, dict]:
        stalled = time.monotonic() - self._last_poll > STALL_AFTER
        details = {"channel": self.name, "group": self.group_id, "in_flight": self._in_flight,
                   "handled": self.handled, "stopping": self.stopping.is_set()}
        if stalled:
            details["reason"] = f"the consume loop has not polled for over {STALL_AFTER:.0f}s"
        return not stalled and not self.stopping.is_set(), details

    # --- shutdown and rebalance --------------------------------------------
    def _drain(self, timeout: float, partitions: set[tuple[str, int]] | None = None) -> None:
        """Apply outcomes until nothing (of `partitions`) is in flight, or for `timeout` seconds."""
        deadline = time.monotonic() + timeout

        def in_flight() -> int:
            return self._in_flight if partitions is None else sum(self._held[tp] for tp in partitions)

        while in_flight() > 0 and time.monotonic() < deadline:
            self._collect(timeout=0.1)
        if left := in_flight():
            log.warning("%d records still in flight %s; their next reader delivers what they did not", left,
                        "at shutdown" if partitions is None else "on revoke")

    def _on_assign(self, consumer: Consumer, partitions) -> None:
        """Says so; the client applies the assignment itself (incrementally, for cooperative groups) once this
        returns, and the loop then sets the partitions' pause state afresh (_start_assigned)."""
        log.info("%s consumer assigned %d partitions: %s", self.name, len(partitions), partition_list(partitions))
        self._assigned.extend(partitions)

    def _on_revoke(self, consumer: Consumer, partitions) -> None:
        """Fence the partitions (queued records dropped, no new provider call for them), let the sends in
        progress finish and store their offsets, commit, then let the partitions go."""
        log.info("%s consumer revoked %d partitions: %s", self.name, len(partitions), partition_list(partitions))
        revoked = {(partition.topic, partition.partition) for partition in partitions}
        for tp in revoked:
            self._fences.pop(tp, Fence()).revoke()
        self._revoking = revoked
        try:
            self._drain(timeout=self.delivery.timeout + 5, partitions=revoked)
            self._commit()
        finally:
            self._revoking = set()
        for tp in revoked:
            self._progress.pop(tp, None)
            self._waiting_retries.pop(tp, None)

    def _commit(self) -> None:
        try:
            self.consumer.commit(asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:
                log.warning("offset commit failed: %s", exc)

    @staticmethod
    def _on_kafka_error(error: KafkaError) -> None:
        if error.fatal():
            raise KafkaException(error)
        log.warning("kafka: %s", error)
