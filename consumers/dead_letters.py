"""Poison records: a copy to the source topic's dead-letter topic, with the error in headers,
and a DeadLetter row; the consumer then moves on. `republish` sends chosen ones back."""
from __future__ import annotations

import uuid

from confluent_kafka import Producer
from django.utils import timezone

from consumers.models import DeadLetter

ERROR = "x-dlq-error"
ERROR_CLASS = "x-dlq-error-class"
SOURCE_TOPIC = "x-dlq-source-topic"
SOURCE_PARTITION = "x-dlq-source-partition"
SOURCE_OFFSET = "x-dlq-source-offset"
CHANNEL = "x-dlq-channel"
DLQ_HEADERS = (ERROR, ERROR_CLASS, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET, CHANNEL)


def dead_letter_topic(source_topic: str) -> str:
    return f"{source_topic}.dlq"


def dead_letter(producer: Producer, channel: str, msg, source: tuple[str, int, int], error: Exception) -> DeadLetter:
    """Publish the record to the dead-letter topic (waiting for the ack) and record it."""
    topic, partition, offset = source
    headers = dict((k, (v or b"").decode("utf-8", "replace")) for k, v in (msg.headers() or []))
    dlq_topic = dead_letter_topic(topic)
    producer.produce(dlq_topic, msg.value(), msg.key(), headers=list(msg.headers() or []) + [
        (ERROR, str(error)[:2000].encode()),
        (ERROR_CLASS, type(error).__name__.encode()),
        (SOURCE_TOPIC, topic.encode()),
        (SOURCE_PARTITION, str(partition).encode()),
        (SOURCE_OFFSET, str(offset).encode()),
        (CHANNEL, channel.encode()),
    ])
    if producer.flush(30):
        raise RuntimeError(f"dead-letter topic {dlq_topic} did not acknowledge within 30 s")
    row, _ = DeadLetter.objects.get_or_create(
        channel=channel, source_topic=topic, partition=partition, offset=offset,
        defaults={
            "dead_letter_topic": dlq_topic, "key": msg.key(), "value": msg.value(), "headers": headers,
            "event_id": _uuid_or_none(headers.get("ce_id")), "event_type": headers.get("ce_type", "")[:255],
            "error_class": type(error).__name__, "error": str(error)[:4000],
        },
    )
    return row


RENDER_ERROR = "render error"


def republish(producer: Producer, rows) -> int:
    """Send dead letters back to their source topics, as they were first received.

    Log rows that failed to render for those events go back to PENDING first, so the
    channels try them again (a final row is otherwise never sent again)."""
    from consumers.models import EmailLog, SMSLog

    event_ids = [row.event_id for row in rows if row.event_id]
    for model in (EmailLog, SMSLog):
        model.objects.filter(event_id__in=event_ids, status="FAILED", error_message__startswith=RENDER_ERROR).update(status="PENDING")
    count = 0
    for row in rows:
        headers = [(k, v.encode()) for k, v in row.headers.items()]
        producer.produce(row.source_topic, bytes(row.value) if row.value is not None else None,
                         bytes(row.key) if row.key is not None else None, headers=headers)
        count += 1
    if producer.flush(30):
        raise RuntimeError("Kafka did not acknowledge every re-published record within 30 s; nothing was marked")
    DeadLetter.objects.filter(pk__in=[row.pk for row in rows]).update(republished_at=timezone.now())
    return count


def _uuid_or_none(value: str | None):
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
