"""An in-memory stand-in for confluent_kafka.Producer, for unit tests of the publisher.

It keeps what it acknowledged, delivers on poll()/flush() like librdkafka (reports arrive
only there), and fails records as a test tells it to. Integration tests use a real broker.

    producer = FakeProducer(reject=lambda topic, key, value: KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
                            if len(value) > 100 else None)
    publisher = Publisher(producer_factory=lambda on_error: producer.attach(on_error))
"""
from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException

Rule = Callable[[str, bytes, bytes], KafkaError | None]


@dataclass
class FakeMessage:
    _topic: str
    _key: bytes
    _value: bytes
    _headers: list
    _partition: int = 0
    _offset: int = -1

    def topic(self):
        return self._topic

    def key(self):
        return self._key

    def value(self):
        return self._value

    def headers(self):
        return self._headers

    def partition(self):
        return self._partition

    def offset(self):
        return self._offset


class FakeProducer:
    def __init__(self, reject: Rule | None = None, fail: Rule | None = None, partitions: int = 6):
        self.reject = reject  # raise KafkaException at produce() (librdkafka's local checks)
        self.fail = fail  # report this error in the delivery report (the broker's answer)
        self.partitions = partitions
        self.reachable = True  # False: nothing is delivered until purge() (broker unreachable)
        self.acked: list[FakeMessage] = []
        self.purged = 0
        self._queue: list[tuple[FakeMessage, Callable]] = []
        self._offsets: dict[tuple[str, int], int] = {}
        self._error_cb: Callable[[KafkaError], None] | None = None
        self._fatal: KafkaError | None = None

    def attach(self, error_cb: Callable[[KafkaError], None]) -> "FakeProducer":
        """Use as the publisher's producer factory: `lambda on_error: producer.attach(on_error)`."""
        self._error_cb = error_cb
        return self

    def raise_fatal(self, code: int = KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER) -> None:
        """What librdkafka does on a fatal idempotence error: error_cb, then every record fails."""
        self._fatal = KafkaError(KafkaError._FATAL, f"fatal: {KafkaError(code).str()}", fatal=True)
        if self._error_cb:
            self._error_cb(self._fatal)

    def produce(self, topic, value=None, key=None, headers=None, on_delivery=None, **_):
        if self._fatal is not None:
            raise KafkaException(self._fatal)
        error = self.reject(topic, key, value) if self.reject else None
        if error is not None:
            raise KafkaException(error)
        partition = zlib.crc32(key) % self.partitions if key is not None else 0
        self._queue.append((FakeMessage(topic, key, value, list(headers or []), partition), on_delivery))

    def poll(self, timeout: float | None = 0) -> int:
        return self._deliver(timeout)

    def flush(self, timeout: float | None = None) -> int:
        self._deliver(timeout)
        return len(self._queue)

    def purge(self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True) -> None:
        queue, self._queue = self._queue, []
        self.purged += len(queue)
        for msg, report in queue:
            report(KafkaError(KafkaError._PURGE_QUEUE, "purged"), msg)

    def __len__(self) -> int:
        return len(self._queue)

    def _deliver(self, timeout: float | None) -> int:
        if self._fatal is not None:
            queue, self._queue = self._queue, []
            for msg, report in queue:
                report(self._fatal, msg)
            return len(queue)
        if not self.reachable:
            time.sleep(min(timeout or 0, 0.01))
            return 0
        queue, self._queue = self._queue, []
        for msg, report in queue:
            error = self.fail(msg.topic(), msg.key(), msg.value()) if self.fail else None
            if error is None:
                slot = (msg.topic(), msg.partition())
                msg._offset = self._offsets.get(slot, 0)
                self._offsets[slot] = msg._offset + 1
                self.acked.append(msg)
            report(error, msg)
        return len(queue)
