"""Publishing records with the idempotent producer and waiting for the broker's acks."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Producer
from django.conf import settings

from config.kafka import producer_properties
from relay.records import OutboundRecord

log = logging.getLogger(__name__)

# Defaults tuned for both low latency (a short linger) and backlog drains (large
# batches); any of them can be overridden with KAFKA_<NAME> variables.
PRODUCER_DEFAULTS = {
    "enable.idempotence": "true",  # implies acks=all, ordered retries per partition
    "acks": "all",
    "linger.ms": "2",
    "batch.num.messages": "10000",
    "message.timeout.ms": "30000",
    "client.id": "chesanto-relay",
}


@dataclass(frozen=True)
class Ack:
    row_id: str
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Failure:
    row_id: str
    error: str
    fatal: bool = False


class Publisher:
    """Wraps one idempotent producer; `publish()` returns only once every record is acked or failed."""

    def __init__(self, flush_timeout: float = 30.0):
        self.flush_timeout = flush_timeout
        self.producer = self._new_producer()

    @staticmethod
    def _new_producer() -> Producer:
        return Producer(producer_properties({**PRODUCER_DEFAULTS, **settings.KAFKA}))

    def rebuild(self) -> None:
        """After a fatal idempotent-producer error the producer is unusable: make a new one."""
        log.warning("rebuilding the Kafka producer after a fatal error")
        self.producer.purge()
        self.producer.flush(0)
        self.producer = self._new_producer()

    def publish(self, records: list[OutboundRecord]) -> tuple[list[Ack], list[Failure]]:
        acks: list[Ack] = []
        failures: list[Failure] = []

        def on_delivery(row_id: str):
            def report(err: KafkaError | None, msg) -> None:
                if err is None:
                    acks.append(Ack(row_id, msg.topic(), msg.partition(), msg.offset()))
                else:
                    failures.append(Failure(row_id, f"{err.name()}: {err.str()}", err.fatal()))
            return report

        for record in records:
            try:
                self.producer.produce(
                    record.topic, record.value, record.key, headers=record.headers, on_delivery=on_delivery(record.row_id)
                )
            except BufferError:
                self.producer.poll(1.0)  # local queue full: let deliveries drain, then retry once
                try:
                    self.producer.produce(
                        record.topic, record.value, record.key, headers=record.headers,
                        on_delivery=on_delivery(record.row_id),
                    )
                except (BufferError, KafkaException) as exc:
                    failures.append(Failure(record.row_id, f"local produce error: {exc}"))
            except KafkaException as exc:  # e.g. MSG_SIZE_TOO_LARGE: rejected before it is queued
                failures.append(Failure(record.row_id, f"local produce error: {exc.args[0].str()}"))
        remaining = self.producer.flush(self.flush_timeout)
        if remaining:
            # Unacked after the timeout: take them back so they are not marked published;
            # ones already on the wire may still land, which at-least-once allows.
            self.producer.purge(in_queue=True, in_flight=False)
            self.producer.flush(0)
        if any(f.fatal for f in failures):
            self.rebuild()
        return acks, failures

    def close(self, timeout: float = 10.0) -> None:
        self.producer.flush(timeout)
