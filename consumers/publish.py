"""Producing one record and waiting for the broker's answer (retry and dead-letter copies).

`flush()` returning 0 only says the queue is empty; whether the broker took the record is in its
delivery report, so that is what is waited for and checked.
"""
from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException, Producer

ACK_TIMEOUT = 30.0  # seconds
TOO_LARGE = {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE}  # librdkafka reports both sides as MSG_SIZE_TOO_LARGE


class RecordTooLarge(KafkaException):
    """The broker (or the client, before sending) refuses the record for its size."""


def publish_and_wait(producer: Producer, topic: str, value: bytes | None, key: bytes | None,
                     headers: list[tuple[str, bytes | None]], timeout: float = ACK_TIMEOUT) -> None:
    """Produce and wait for the delivery report; raise RecordTooLarge or KafkaException if it failed."""
    report: dict[str, KafkaError | None] = {}
    try:
        producer.produce(topic, value, key, headers=headers, on_delivery=lambda err, _msg: report.update(error=err))
    except KafkaException as exc:
        _raise(exc.args[0])
    if producer.flush(timeout) or "error" not in report:
        raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, f"{topic} did not acknowledge within {timeout:.0f}s"))
    if report["error"] is not None:
        _raise(report["error"])


def _raise(error: KafkaError) -> None:
    raise (RecordTooLarge if error.code() in TOO_LARGE else KafkaException)(error)
