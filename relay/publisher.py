"""Publishing a batch with the idempotent producer and sorting out what became of each row.

Each claimed row ends the batch in one of four states:
- acked: the broker has it (acks=all); only these are marked published;
- failed by its own fault ("poison": too large, unserialisable, rejected by the broker for
  what it is): counts an attempt, then the row waits and is retried, and is parked at last;
- failed by circumstance (broker unreachable, timed out, fenced producer): counts nothing,
  the relay backs off and claims it again;
- held: not produced, because an earlier row of the same key failed in this batch.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from threading import Event

from confluent_kafka import KafkaError, KafkaException, Producer

from chesanto_comms.kafka import client_properties, producer_properties
from chesanto_comms.records import ClaimedRow, OutboundRecord, record_for

log = logging.getLogger(__name__)

# Tuned for both ends: publish() flushes as soon as a batch is produced, which sends at once
# whatever linger.ms says, so one row at low load goes out immediately, while a large batch
# is packed into requests of up to 10k records. Each can be overridden with KAFKA_<NAME>.
PRODUCER_DEFAULTS = {
    "enable.idempotence": "true",  # implies acks=all and ordered, deduplicated retries per partition
    "acks": "all",
    "linger.ms": "5",
    "batch.num.messages": "10000",
    "queue.buffering.max.messages": "200000",
    "message.timeout.ms": "30000",  # a record not acked by then is reported failed (and claimed again)
    "socket.nagle.disable": "true",  # no 40 ms Nagle/delayed-ACK stalls on small requests
    "reconnect.backoff.max.ms": "2000",  # find a broker that came back within ~2 s
    "client.id": "chesanto-relay",
    # Java's key hash (murmur2), which Kafka Connect's producer and so Debezium use; librdkafka's own
    # default (CRC32) puts a key on another partition, so a switch between the relay and Debezium
    # would split a key's records over two partitions and lose their order.
    "partitioner": "murmur2_random",
}

# Broker or client errors that are the record's own fault: retrying the same bytes later can
# only succeed if someone changes the record or the topic. Everything else is circumstance.
POISON = frozenset({
    KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_MSG, KafkaError.INVALID_MSG_SIZE,
    KafkaError.RECORD_LIST_TOO_LARGE, KafkaError.INVALID_RECORD, KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT,
    KafkaError.TOPIC_EXCEPTION, KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.POLICY_VIOLATION,
    KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.INVALID_TIMESTAMP,
    KafkaError._INVALID_ARG, KafkaError._INVALID_TYPE, KafkaError._UNKNOWN_TOPIC, KafkaError._UNKNOWN_PARTITION,
})

# Errors after which this producer's idempotence state (producer id, epoch, sequences) is no
# good: librdkafka flags some as fatal, not all (a broker may fence the producer after an
# outage instead of accepting its epoch bump). Either way a new producer is the way out.
PRODUCER_STATE = frozenset({
    KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
    KafkaError.UNKNOWN_PRODUCER_ID, KafkaError.INVALID_PRODUCER_ID_MAPPING, KafkaError._FENCED,
})

PRODUCE_RETRY_WINDOW = 5.0  # seconds produce() may wait for room in a full local queue
STOP_GRACE = 5.0  # seconds a stopping relay still waits for acks before giving the rest up


def is_poison(error: KafkaError) -> bool:
    return error.code() in POISON and not error.fatal()


@dataclass(slots=True)
class Ack:
    row_id: str
    topic: str
    partition: int
    offset: int
    acked_at: float = 0.0  # time.time() when the delivery report arrived


@dataclass(slots=True)
class Failure:
    row_id: str
    error: str
    poison: bool = False  # the row's own fault: counts an attempt (see module docstring)
    fatal: bool = False


@dataclass
class PublishResult:
    acks: list[Ack] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # rows not produced: an earlier row of their key failed
    order_hazards: list[str] = field(default_factory=list)  # keys with a failed row acked *after* by Kafka

    @property
    def poison(self) -> list[Failure]:
        return [f for f in self.failures if f.poison]

    @property
    def transient(self) -> list[Failure]:
        return [f for f in self.failures if not f.poison]


class _Batch:
    """Delivery reports of one publish() call; reports arriving after it gave up are ignored."""

    def __init__(self, size: int):
        self.outcomes: list[Ack | Failure | None] = [None] * size
        self.produced = [False] * size
        self.expected = 0
        self.reported = 0
        self.closed = False

    def reporter(self, index: int, row_id: str, on_fatal: Callable[[KafkaError], None]):
        def report(err: KafkaError | None, msg) -> None:
            if self.closed:
                return
            if err is None:
                self.outcomes[index] = Ack(row_id, msg.topic(), msg.partition(), msg.offset(), time.time())
            else:
                broken = err.fatal() or err.code() in PRODUCER_STATE
                if broken:
                    on_fatal(err)
                self.outcomes[index] = Failure(row_id, f"{err.name()}: {err.str()}", is_poison(err), broken)
            self.reported += 1
        return report


class Publisher:
    """One idempotent producer; `publish()` returns once every produced row is acked or failed."""

    def __init__(self, producer_factory: Callable[..., Producer] | None = None):
        self._factory = producer_factory or self._new_producer
        self.fatal_error: KafkaError | None = None
        self.producer = self._factory(self._on_error)
        self.delivery_timeout = self._message_timeout() + 5.0

    @staticmethod
    def _new_producer(on_error: Callable[[KafkaError], None]) -> Producer:
        return Producer({**producer_properties({**PRODUCER_DEFAULTS, **client_properties()}), "error_cb": on_error})

    @staticmethod
    def _message_timeout() -> float:
        props = {**PRODUCER_DEFAULTS, **client_properties()}
        return float(props.get("delivery.timeout.ms") or props["message.timeout.ms"]) / 1000

    def _on_error(self, err: KafkaError) -> None:
        if err.fatal() or err.code() in PRODUCER_STATE:
            self._fatal(err)
        # Other errors (broker down, connection refused) are retried by librdkafka; it logs them.

    def _fatal(self, err: KafkaError) -> None:
        """The producer is unusable (a fatal error, or one that broke its idempotence state)."""
        if self.fatal_error is None:
            log.error("producer unusable: %s: %s", err.name(), err.str())
        self.fatal_error = err

    def rebuild(self) -> None:
        """After a fatal (idempotent-producer) error the producer is unusable: start a new one."""
        log.warning("rebuilding the Kafka producer after %s", self.fatal_error and self.fatal_error.name())
        old, self.producer = self.producer, None
        try:
            old.purge()
            old.poll(0)
        except KafkaException:
            pass
        self.fatal_error = None
        self.producer = self._factory(self._on_error)

    def publish(self, rows: Sequence[ClaimedRow], build: Callable[[ClaimedRow], OutboundRecord] = record_for,
                abort: Event | None = None, held_keys: set[str] = frozenset()) -> PublishResult:
        """Produce `rows` (in seq order) and wait for their delivery reports.

        Rows of `held_keys` (keys that failed in a batch not settled yet) are held, not produced.
        """
        batch = _Batch(len(rows))
        blocked = set(held_keys)  # plus keys with a failed row earlier in this batch
        for index, row in enumerate(rows):
            if row.aggregateid in blocked:
                continue  # held: left unpublished, claimed again behind its key's failure
            try:
                record = build(row)
            except Exception as exc:  # noqa: BLE001 - whatever stops a row becoming a record is the row's fault
                batch.outcomes[index] = Failure(row.id, f"unserialisable: {type(exc).__name__}: {exc}", poison=True)
                blocked.add(row.aggregateid)
                continue
            failure = self._produce(record, batch.reporter(index, row.id, self._fatal))
            if failure:
                batch.outcomes[index] = failure
                blocked.add(row.aggregateid)
            else:
                batch.produced[index] = True
                batch.expected += 1
        self._wait(batch, abort)
        batch.closed = True
        if self.fatal_error is not None:
            self.rebuild()
        return self._result(rows, batch)

    def _produce(self, record: OutboundRecord, report) -> Failure | None:
        deadline = None
        while True:
            try:
                self.producer.produce(record.topic, record.value, record.key, headers=record.headers,
                                      on_delivery=report)
                return None
            except BufferError:  # the local queue is full: serve delivery reports and try again
                deadline = deadline or time.monotonic() + PRODUCE_RETRY_WINDOW
                if time.monotonic() > deadline:
                    return Failure(record.row_id, "local queue full (broker not keeping up)")
                self.producer.poll(0.1)
            except KafkaException as exc:  # e.g. MSG_SIZE_TOO_LARGE: rejected before it is queued
                err = exc.args[0]
                broken = err.fatal() or err.code() in PRODUCER_STATE
                if broken:
                    self._fatal(err)
                return Failure(record.row_id, f"{err.name()}: {err.str()}", is_poison(err), broken)
            except (TypeError, ValueError) as exc:  # a header or key the client cannot encode
                return Failure(record.row_id, f"unserialisable: {exc}", poison=True)

    def _wait(self, batch: _Batch, abort: Event | None) -> None:
        deadline = time.monotonic() + self.delivery_timeout
        stop_deadline = None
        while batch.reported < batch.expected:
            now = time.monotonic()
            if abort is not None and abort.is_set():
                stop_deadline = stop_deadline or now + STOP_GRACE
            if now >= min(deadline, stop_deadline or deadline) or self.fatal_error is not None:
                break
            # flush() sends at once (no linger) and serves delivery reports as they arrive.
            self.producer.flush(min(0.2, deadline - now))
        if batch.reported < batch.expected:
            # Give up on the rest: take back what is still queued; records already on the wire
            # may land later, which at-least-once allows. None of them is marked published.
            self.producer.purge(in_queue=True, in_flight=False)
            self.producer.poll(0)

    @staticmethod
    def _result(rows: Sequence[ClaimedRow], batch: _Batch) -> PublishResult:
        result = PublishResult()
        failed_keys: set[str] = set()
        for row, outcome, produced in zip(rows, batch.outcomes, batch.produced):
            if isinstance(outcome, Ack):
                result.acks.append(outcome)
                if row.aggregateid in failed_keys and row.aggregateid not in result.order_hazards:
                    result.order_hazards.append(row.aggregateid)
            elif isinstance(outcome, Failure):
                result.failures.append(outcome)
                failed_keys.add(row.aggregateid)
            elif produced:  # but no report before the deadline
                result.failures.append(Failure(row.id, "no delivery report within the delivery timeout"))
                failed_keys.add(row.aggregateid)
            else:
                result.held.append(row.id)
        return result

    def close(self, timeout: float = 5.0) -> None:
        if self.producer is not None:
            self.producer.flush(timeout)
