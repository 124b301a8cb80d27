"""An in-memory Kafka for unit tests of the consume loop, in the spirit of dramatiq's StubBroker.

    broker = MemoryBroker(partitions=2)
    consumer = ChannelConsumer("email", channel_factory=..., consumer_factory=broker.Consumer,
                               producer_factory=broker.Producer, topic_creator=broker.ensure_topics)
    broker.publish("chesanto.auth", value, key=b"k", headers=[("ce_id", b"...")])
    ... run the loop in a thread ...
    broker.committed(consumer.group_id)   # {(topic, partition): offset}
    broker.messages("chesanto.auth.dlq")  # what was produced there

`Consumer` and `Producer` offer the part of confluent_kafka's API the consume loop (consumers/loop.py)
and publish_and_wait (consumers/publish.py) use, with the same signatures, return values and errors
(KafkaException carrying a KafkaError: _NO_OFFSET from a commit with nothing to commit, _STATE from
storing or seeking the offset of a partition not assigned, MSG_SIZE_TOO_LARGE from produce). Messages
answer topic(), partition(), offset(), key(), value(), headers(), error(), timestamp().

Groups rebalance the way the classic (eager) protocol does: on subscribe, on close and whenever a test
calls `rebalance(group_id)`, every member is revoked all its partitions (on_revoke, called inside its
next poll()/consume(), on the polling thread, as librdkafka does), and only once every member has been
revoked is each given its new share (on_assign; assign() is applied after the callback unless it called
assign() itself). A newly assigned partition is read from the group's committed offset, else per
auto.offset.reset. As librdkafka does (librdkafka#1849), a paused partition stays paused across a
rebalance that gives it back. Auto-commit commits stored offsets every auto.commit.interval.ms, checked
on each poll()/consume(), and on close().

The producer's records reach their topic, and their delivery reports are queued, when the broker
acknowledges them: at once, unless a test called `hold_acks()`; then they wait (flush() waits up to its
timeout and returns how many are left) until `release_acks()`. Delivery callbacks run in the
producer's poll() and flush(), as librdkafka's do. `reject(topic, code)` fails deliveries to a topic.

What it does not do: replication, transactions, consumer-group lag across processes, cooperative
rebalancing, murmur2 partitioning (a keyed record goes to crc32(key) % partitions; an unkeyed one round
robin), record batches or compression, and any network or timing behaviour beyond waiting in poll().

Why a product module (`consumers.testing`) and not tests/support/: the consume loop's seam
(ChannelConsumer's consumer_factory, producer_factory, topic_creator, channel_factory) is public, and a
host that brings a channel app of its own (consumers/channel_app.py) can then test that channel through
the real consume loop, workers and offset tracking with its own database and no broker. It imports only
confluent_kafka (for its error and TopicPartition types) and the standard library, so shipping it costs a
host nothing at run time; dramatiq ships its StubBroker in the library for the same reason.
"""
from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from confluent_kafka import TIMESTAMP_CREATE_TIME, KafkaError, KafkaException, TopicPartition

OFFSET_INVALID = -1001  # confluent_kafka.OFFSET_INVALID: no committed offset, no position yet

TP = tuple[str, int]
Headers = list[tuple[str, bytes | None]]


class MemoryMessage:
    """A record as confluent_kafka.Message shows it."""

    __slots__ = ("_topic", "_partition", "_offset", "_key", "_value", "_headers", "_timestamp", "_error")

    def __init__(self, topic: str | None, partition: int | None, offset: int | None, key: bytes | None,
                 value: bytes | None, headers: Headers | None, timestamp_ms: int = 0, error: KafkaError | None = None):
        self._topic, self._partition, self._offset = topic, partition, offset
        self._key, self._value, self._headers = key, value, headers
        self._timestamp, self._error = timestamp_ms, error

    def topic(self) -> str | None:
        return self._topic

    def partition(self) -> int | None:
        return self._partition

    def offset(self) -> int | None:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> Headers | None:
        """A fresh list, or None when the record has none (as confluent_kafka returns)."""
        return list(self._headers) if self._headers else None

    def error(self) -> KafkaError | None:
        return self._error

    def timestamp(self) -> tuple[int, int]:
        return TIMESTAMP_CREATE_TIME, self._timestamp

    def __len__(self) -> int:
        return len(self._value or b"")

    def header(self, name: str) -> bytes | None:
        """The last value of header `name` (a convenience for tests; confluent_kafka has no such method)."""
        found = [value for key, value in self._headers or [] if key == name]
        return found[-1] if found else None

    def __repr__(self) -> str:
        return f"<MemoryMessage {self._topic}[{self._partition}]@{self._offset} key={self._key!r}>"


@dataclass
class _Group:
    members: list["MemoryConsumer"] = field(default_factory=list)
    committed: dict[TP, int] = field(default_factory=dict)


def _bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def _headers(headers: Headers | dict | None) -> Headers | None:
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, dict) else headers
    return [(str(name), _bytes(value)) for name, value in pairs]


def _tps(keys: Iterable[TP], offsets: dict[TP, int] | None = None) -> list[TopicPartition]:
    return [TopicPartition(t, p, (offsets or {}).get((t, p), OFFSET_INVALID)) for t, p in keys]


class MemoryBroker:
    """Topics, partitions and consumer groups in memory; thread-safe (one lock, callbacks run outside it)."""

    def __init__(self, partitions: int = 1, max_message_bytes: int = 1_000_000):
        self.default_partitions = partitions
        self.max_message_bytes = max_message_bytes
        self._cond = threading.Condition(threading.RLock())
        self._topics: dict[str, list[list[MemoryMessage]]] = {}
        self._groups: dict[str, _Group] = {}
        self._acks_held = False
        self._rejected: dict[str, int] = {}  # topic -> KafkaError code every delivery there fails with
        self._round_robin = 0
        # What happened, in order, for tests to assert on:
        self.consumers: list[MemoryConsumer] = []  # every consumer made, in order
        self.producers: list[MemoryProducer] = []
        self.stored: list[tuple[str, str, int, int]] = []  # (group, topic, partition, offset) per store_offsets
        self.commits: list[tuple[str, str, int, int]] = []  # (group, topic, partition, offset) per committed offset
        self.fetched: list[tuple[str, str, int, int]] = []  # (group, topic, partition, offset) per record handed out
        self.rebalances: list[tuple[str, str, list[TP]]] = []  # (group, "revoke" | "assign", partitions)

    # --- the seam's factories: pass these to ChannelConsumer ------------------------------------
    def Consumer(self, config: dict) -> "MemoryConsumer":  # noqa: N802 - named as the class it stands for
        consumer = MemoryConsumer(self, config)
        with self._cond:
            self.consumers.append(consumer)
        return consumer

    def Producer(self, config: dict | None = None) -> "MemoryProducer":  # noqa: N802
        producer = MemoryProducer(self, config or {})
        with self._cond:
            self.producers.append(producer)
        return producer

    def ensure_topics(self, topics: list[str], timeout: float = 15.0) -> list[str]:
        """As chesanto_comms.topics.ensure_topics: create the missing topics, return those created."""
        with self._cond:
            missing = [t for t in topics if t not in self._topics]
            for topic in missing:
                self.create_topic(topic)
            return missing

    # --- topics -----------------------------------------------------------------------------------
    def create_topic(self, topic: str, partitions: int | None = None) -> None:
        with self._cond:
            if topic not in self._topics:
                self._topics[topic] = [[] for _ in range(partitions or self.default_partitions)]
                self._cond.notify_all()

    def topics(self) -> dict[str, int]:
        """Topic -> number of partitions."""
        with self._cond:
            return {topic: len(parts) for topic, parts in self._topics.items()}

    def publish(self, topic: str, value: str | bytes | None, key: str | bytes | None = None,
                headers: Headers | dict | None = None, partition: int | None = None) -> MemoryMessage:
        """Append a record at once, as another process's producer would (creating the topic if need be)."""
        with self._cond:
            self.create_topic(topic)
            return self._append(topic, _bytes(value), _bytes(key), _headers(headers), partition)

    def messages(self, topic: str, partition: int | None = None) -> list[MemoryMessage]:
        """Every record of the topic (one partition, or all of them in partition order)."""
        with self._cond:
            parts = self._topics.get(topic, [])
            chosen = parts if partition is None else [parts[partition]]
            return [msg for part in chosen for msg in part]

    def _partition_for(self, topic: str, key: bytes | None) -> int:
        count = len(self._topics[topic])
        if key is None:
            self._round_robin += 1
            return self._round_robin % count
        return zlib.crc32(key) % count

    def _append(self, topic: str, value: bytes | None, key: bytes | None, headers: Headers | None,
                partition: int | None) -> MemoryMessage:
        parts = self._topics[topic]
        number = self._partition_for(topic, key) if partition is None or partition < 0 else partition
        if number >= len(parts):
            raise KafkaException(KafkaError(KafkaError._UNKNOWN_PARTITION, f"{topic}[{number}] does not exist"))
        msg = MemoryMessage(topic, number, len(parts[number]), key, value, headers, int(time.time() * 1000))
        parts[number].append(msg)
        self._cond.notify_all()
        return msg

    def _high(self, tp: TP) -> int:
        parts = self._topics.get(tp[0])
        return len(parts[tp[1]]) if parts and tp[1] < len(parts) else 0

    # --- groups -----------------------------------------------------------------------------------
    def committed(self, group_id: str) -> dict[TP, int]:
        """The group's committed offsets: (topic, partition) -> next offset to read."""
        with self._cond:
            return dict(self._group(group_id).committed)

    def rebalance(self, group_id: str) -> None:
        """Revoke every member's partitions, then assign them afresh (each member, in its next poll)."""
        with self._cond:
            group = self._group(group_id)
            members = [m for m in group.members if not m._closed and m._subscription]
            topics = sorted({t for m in members for t in m._subscription if t in self._topics})
            partitions = [(t, p) for t in topics for p in range(len(self._topics[t]))]
            shares: dict[int, list[TP]] = {id(m): [] for m in members}
            turn = 0
            for tp in partitions:  # round robin over the members subscribed to the partition's topic
                takers = [m for m in members if tp[0] in m._subscription]
                if takers:
                    shares[id(takers[turn % len(takers)])].append(tp)
                    turn += 1
            for member in members:
                member._pending_revoke = sorted(member._positions) if member._rebalance_assigned else []
                member._pending_assign = shares[id(member)]
            self._cond.notify_all()

    def _group(self, group_id: str) -> _Group:
        return self._groups.setdefault(group_id, _Group())

    def _all_revoked(self, group_id: str) -> bool:
        return all(m._pending_revoke is None for m in self._group(group_id).members if not m._closed)

    # --- acknowledgements -----------------------------------------------------------------------------
    def hold_acks(self) -> None:
        """From now on produced records wait, unacknowledged (not on their topic), until release_acks()."""
        with self._cond:
            self._acks_held = True

    def release_acks(self) -> None:
        with self._cond:
            self._acks_held = False
            self._cond.notify_all()

    def reject(self, topic: str, code: int | None = KafkaError.MSG_SIZE_TOO_LARGE) -> None:
        """Fail every delivery to `topic` with KafkaError `code` (None: accept them again)."""
        with self._cond:
            if code is None:
                self._rejected.pop(topic, None)
            else:
                self._rejected[topic] = code

    def unacknowledged(self) -> list[MemoryMessage]:
        """Records produced and not yet acknowledged (offset None), across every producer."""
        with self._cond:
            return [msg for producer in self.producers for msg, _ in producer._in_flight]

    def wait_for(self, probe: Callable[[], object], timeout: float = 5.0, what: str = "condition"):
        """Wait until `probe()` is truthy (re-checked on every change to the broker and every 50 ms); return it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (value := probe()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
                self._cond.wait(min(remaining, 0.05))
            return value

    def metadata(self) -> SimpleNamespace:
        """What list_topics() returns: .topics {name: .partitions {id: ...}}, as ClusterMetadata does."""
        with self._cond:
            return SimpleNamespace(topics={
                topic: SimpleNamespace(topic=topic, error=None, partitions={
                    p: SimpleNamespace(id=p, leader=0, replicas=[0], isrs=[0], error=None) for p in range(len(parts))})
                for topic, parts in self._topics.items()}, brokers={0: SimpleNamespace(id=0, host="memory", port=0)})


class MemoryConsumer:
    """confluent_kafka.Consumer's subset the consume loop uses."""

    def __init__(self, broker: MemoryBroker, config: dict):
        self.broker = broker
        self.config = dict(config)
        self.group_id = str(config.get("group.id", ""))
        self._auto_commit = str(config.get("enable.auto.commit", "true")).lower() == "true"
        self._auto_store = str(config.get("enable.auto.offset.store", "true")).lower() == "true"
        self._commit_interval = int(config.get("auto.commit.interval.ms", 5000)) / 1000
        self._next_commit = time.monotonic() + self._commit_interval
        self._reset = str(config.get("auto.offset.reset", "latest"))
        self._subscription: list[str] = []
        self._on_assign: Callable | None = None
        self._on_revoke: Callable | None = None
        self._positions: dict[TP, int] = {}  # the assignment, with each partition's next offset to hand out
        self._rebalance_assigned = False  # the assignment came from the group (not assign())
        self._paused: set[TP] = set()
        self._stored: dict[TP, int] = {}
        self._pending_revoke: list[TP] | None = None
        self._pending_assign: list[TP] | None = None
        self._assign_called = False
        self._errors: list[KafkaError] = []
        self._next_partition = 0
        self._closed = False

    # --- group membership -------------------------------------------------------------------------
    def subscribe(self, topics: list[str], on_assign: Callable | None = None, on_revoke: Callable | None = None,
                  on_lost: Callable | None = None) -> None:
        self._check_open()
        if not self.group_id:
            raise KafkaException(KafkaError(KafkaError._INVALID_ARG, "group.id must be set to subscribe"))
        with self.broker._cond:
            self._subscription = list(topics)
            self._on_assign, self._on_revoke = on_assign, on_revoke
            group = self.broker._group(self.group_id)
            if self not in group.members:
                group.members.append(self)
            self.broker.rebalance(self.group_id)

    def unsubscribe(self) -> None:
        self._leave()

    def assignment(self) -> list[TopicPartition]:
        self._check_open()
        with self.broker._cond:
            return _tps(sorted(self._positions))

    def assign(self, partitions: list[TopicPartition]) -> None:
        self._check_open()
        with self.broker._cond:
            self._assign_called = True
            self._positions = {}
            for tp in partitions:
                key = (tp.topic, tp.partition)
                self._positions[key] = tp.offset if tp.offset >= 0 else self._start_offset(key)

    def unassign(self) -> None:
        self._check_open()
        with self.broker._cond:
            self._positions, self._stored = {}, {}

    def _start_offset(self, tp: TP) -> int:
        committed = self.broker._group(self.group_id).committed.get(tp)
        if committed is not None:
            return committed
        return 0 if self._reset in ("earliest", "smallest", "beginning") else self.broker._high(tp)

    def _serve_rebalance(self) -> None:
        """Run the callbacks of a pending rebalance, on this (the polling) thread, outside the lock."""
        with self.broker._cond:
            revoke = self._pending_revoke
        if revoke is not None:
            if revoke:  # a member that held nothing (joining) is not called, as with librdkafka
                with self.broker._cond:
                    self.broker.rebalances.append((self.group_id, "revoke", list(revoke)))
                if self._on_revoke:
                    self._on_revoke(self, _tps(revoke))
            with self.broker._cond:
                self._positions, self._stored, self._rebalance_assigned = {}, {}, False
                self._pending_revoke = None  # the paused set survives (librdkafka#1849)
                self.broker._cond.notify_all()
        with self.broker._cond:
            assign = self._pending_assign if self.broker._all_revoked(self.group_id) else None
            if assign is None:
                return
            self._pending_assign = None
            self.broker.rebalances.append((self.group_id, "assign", list(assign)))
        self._assign_called = False
        if self._on_assign:
            self._on_assign(self, _tps(assign))
        if not self._assign_called:
            self.assign(_tps(assign))
        with self.broker._cond:
            self._rebalance_assigned = True

    # --- reading ------------------------------------------------------------------------------------
    def poll(self, timeout: float | None = None) -> MemoryMessage | None:
        got = self.consume(1, -1 if timeout is None else timeout)
        return got[0] if got else None

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[MemoryMessage]:
        self._check_open()
        if num_messages < 1:
            raise ValueError("num_messages must be at least 1")
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        while True:
            self._serve_rebalance()
            self._maybe_auto_commit()
            with self.broker._cond:
                if self._errors:
                    return [MemoryMessage(None, None, None, None, None, None, error=self._errors.pop(0))]
                got = self._fetch(num_messages)
                if got:
                    return got
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return []
                self.broker._cond.wait(0.05 if remaining is None else min(remaining, 0.05))

    def _fetch(self, limit: int) -> list[MemoryMessage]:
        readable = [tp for tp in sorted(self._positions) if tp not in self._paused]
        got: list[MemoryMessage] = []
        for i in range(len(readable)):
            tp = readable[(self._next_partition + i) % len(readable)]
            records = self.broker._topics[tp[0]][tp[1]] if tp[0] in self.broker._topics else []
            position = self._positions[tp]
            taken = records[position:position + limit - len(got)]
            if taken:
                self._positions[tp] = position + len(taken)
                got.extend(taken)
                self.broker.fetched.extend((self.group_id, tp[0], tp[1], m.offset()) for m in taken)
                if self._auto_store:
                    self._stored[tp] = taken[-1].offset() + 1
            if len(got) >= limit:
                break
        self._next_partition += 1
        return got

    def seek(self, partition: TopicPartition) -> None:
        self._check_open()
        with self.broker._cond:
            key = (partition.topic, partition.partition)
            if key not in self._positions:
                raise KafkaException(KafkaError(KafkaError._STATE, f"{key} is not assigned"))
            self._positions[key] = partition.offset if partition.offset >= 0 else self._start_offset(key)

    def pause(self, partitions: list[TopicPartition]) -> None:
        self._check_open()
        with self.broker._cond:
            self._paused.update((tp.topic, tp.partition) for tp in partitions)

    def resume(self, partitions: list[TopicPartition]) -> None:
        self._check_open()
        with self.broker._cond:
            self._paused.difference_update((tp.topic, tp.partition) for tp in partitions)
            self.broker._cond.notify_all()

    def paused(self) -> set[TP]:
        """The partitions paused now (a convenience for tests)."""
        with self.broker._cond:
            return set(self._paused)

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        self._check_open()
        with self.broker._cond:
            return _tps([(tp.topic, tp.partition) for tp in partitions], self._positions)

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float | None = None,
                              cached: bool = False) -> tuple[int, int]:
        self._check_open()
        with self.broker._cond:
            return 0, self.broker._high((partition.topic, partition.partition))

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> SimpleNamespace:
        self._check_open()
        return self.broker.metadata()

    # --- offsets ------------------------------------------------------------------------------------
    def store_offsets(self, message: MemoryMessage | None = None, offsets: list[TopicPartition] | None = None) -> None:
        self._check_open()
        pairs = [((message.topic(), message.partition()), message.offset() + 1)] if message is not None else [
            ((tp.topic, tp.partition), tp.offset) for tp in offsets or []]
        with self.broker._cond:
            for key, offset in pairs:
                if key not in self._positions:
                    raise KafkaException(KafkaError(KafkaError._STATE, f"offset store of {key}: not assigned"))
            for key, offset in pairs:
                self._stored[key] = offset
                self.broker.stored.append((self.group_id, key[0], key[1], offset))
            self.broker._cond.notify_all()

    def stored_offsets(self) -> dict[TP, int]:
        """Offsets stored and not yet handed back by a revoke (a convenience for tests)."""
        with self.broker._cond:
            return dict(self._stored)

    def commit(self, message: MemoryMessage | None = None, offsets: list[TopicPartition] | None = None,
               asynchronous: bool = True) -> list[TopicPartition] | None:
        self._check_open()
        with self.broker._cond:
            if message is not None:
                chosen = {(message.topic(), message.partition()): message.offset() + 1}
            elif offsets is not None:
                chosen = {(tp.topic, tp.partition): tp.offset for tp in offsets}
            else:
                committed = self.broker._group(self.group_id).committed
                chosen = {tp: o for tp, o in self._stored.items() if tp in self._positions and committed.get(tp) != o}
            if not chosen:
                raise KafkaException(KafkaError(KafkaError._NO_OFFSET, "no offset to commit"))
            self._commit(chosen)
            return None if asynchronous else _tps(sorted(chosen), chosen)

    def _commit(self, offsets: dict[TP, int]) -> None:
        group = self.broker._group(self.group_id)
        for tp, offset in sorted(offsets.items()):
            group.committed[tp] = offset
            self.broker.commits.append((self.group_id, tp[0], tp[1], offset))
        self.broker._cond.notify_all()

    def committed(self, partitions: list[TopicPartition], timeout: float | None = None) -> list[TopicPartition]:
        self._check_open()
        with self.broker._cond:
            committed = self.broker._group(self.group_id).committed
            return _tps([(tp.topic, tp.partition) for tp in partitions], committed)

    def _maybe_auto_commit(self, now: bool = False) -> None:
        if not self._auto_commit or not (now or time.monotonic() >= self._next_commit):
            return
        self._next_commit = time.monotonic() + self._commit_interval
        with self.broker._cond:
            committed = self.broker._group(self.group_id).committed
            due = {tp: o for tp, o in self._stored.items() if tp in self._positions and committed.get(tp) != o}
            if due:
                self._commit(due)

    # --- errors and closing -------------------------------------------------------------------------
    def inject_error(self, error: KafkaError) -> None:
        """The next poll()/consume() returns a message carrying `error` (a broker-side problem)."""
        with self.broker._cond:
            self._errors.append(error)
            self.broker._cond.notify_all()

    def close(self) -> None:
        """Revoke (on_revoke), commit what is stored (with auto-commit), leave the group; then unusable."""
        if self._closed:
            return
        with self.broker._cond:
            revoke = sorted(self._positions) if self._rebalance_assigned else []
        if revoke and self._on_revoke:
            with self.broker._cond:
                self.broker.rebalances.append((self.group_id, "revoke", list(revoke)))
            self._on_revoke(self, _tps(revoke))
        self._maybe_auto_commit(now=True)
        self._leave()
        self._closed = True

    def _leave(self) -> None:
        with self.broker._cond:
            group = self.broker._group(self.group_id)
            if self in group.members:
                group.members.remove(self)
            self._subscription, self._positions, self._stored = [], {}, {}
            self._pending_revoke = self._pending_assign = None
            self._rebalance_assigned = False
            if group.members:
                self.broker.rebalance(self.group_id)
            self.broker._cond.notify_all()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("Consumer closed")


class MemoryProducer:
    """confluent_kafka.Producer's subset publish_and_wait and the dead-letter copy use."""

    def __init__(self, broker: MemoryBroker, config: dict):
        self.broker = broker
        self.config = dict(config)
        self._in_flight: list[tuple[MemoryMessage, Callable | None]] = []  # produced, not acknowledged
        self._reports: list[tuple[Callable, KafkaError | None, MemoryMessage]] = []  # acknowledged, callback due

    def produce(self, topic: str, value: str | bytes | None = None, key: str | bytes | None = None,
                partition: int = -1, on_delivery: Callable | None = None, callback: Callable | None = None,
                timestamp: int = 0, headers: Headers | dict | None = None) -> None:
        value, key = _bytes(value), _bytes(key)
        size = len(value or b"") + len(key or b"") + sum(len(k) + len(v or b"") for k, v in _headers(headers) or [])
        if size > self.broker.max_message_bytes:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE,
                                            f"{size} bytes is larger than {self.broker.max_message_bytes}"))
        msg = MemoryMessage(topic, partition if partition >= 0 else None, None, key, value, _headers(headers),
                            timestamp or int(time.time() * 1000))
        with self.broker._cond:
            self._in_flight.append((msg, on_delivery or callback))
            self.broker._cond.notify_all()

    def _acknowledge(self) -> None:
        """Under the lock: unless acks are held, put the in-flight records on their topics and queue their reports."""
        if self.broker._acks_held:
            return
        for msg, report in self._in_flight:
            error = None
            if msg.topic() not in self.broker._topics:
                error = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"{msg.topic()} does not exist")
            elif msg.topic() in self.broker._rejected:
                error = KafkaError(self.broker._rejected[msg.topic()], f"{msg.topic()} rejected it")
            else:
                try:
                    msg = self.broker._append(msg.topic(), msg.value(), msg.key(), msg._headers, msg.partition())
                except KafkaException as exc:
                    error = exc.args[0]
            if report is not None:
                self._reports.append((report, error, msg))
        self._in_flight = []

    def _serve(self) -> int:
        with self.broker._cond:
            self._acknowledge()
            reports, self._reports = self._reports, []
        for report, error, msg in reports:
            report(error, msg)
        return len(reports)

    def poll(self, timeout: float | None = 0) -> int:
        served = self._serve()
        if served or not timeout:
            return served
        with self.broker._cond:
            self.broker._cond.wait(timeout if timeout > 0 else None)
        return self._serve()

    def flush(self, timeout: float | None = None) -> int:
        """Wait until every record is acknowledged and its callback run, up to `timeout`; how many are left."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        while True:
            self._serve()
            with self.broker._cond:
                left = len(self._in_flight) + len(self._reports)
                if not left:
                    return 0
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return left
                self.broker._cond.wait(0.05 if remaining is None else min(remaining, 0.05))

    def __len__(self) -> int:
        with self.broker._cond:
            return len(self._in_flight) + len(self._reports)

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> SimpleNamespace:
        return self.broker.metadata()
