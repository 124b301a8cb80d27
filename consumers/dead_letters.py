"""Poison records: a copy to the source topic's dead-letter topic, with the error in headers,
and a DeadLetter row; the consumer then moves on. `republish` sends chosen ones back.

A poison record may carry anything — NUL bytes, bytes that are not UTF-8, a value past the
broker's size limit — so nothing here may fail because of it: the row keeps the headers exactly
as received (`raw_headers`, for re-publishing) beside a readable, escaped copy (`headers`), and
a copy too large for the dead-letter topic goes there without its value (the row keeps it).
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import uuid

from confluent_kafka import Producer
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from chesanto_comms.backoff import Backoff
from consumers.channels import log_models
from consumers.log_rows import reopen_unrendered
from consumers.models import DeadLetter
from consumers.publish import RecordTooLarge, publish_and_wait

log = logging.getLogger(__name__)

ERROR = "x-dlq-error"
ERROR_CLASS = "x-dlq-error-class"
SOURCE_TOPIC = "x-dlq-source-topic"
SOURCE_PARTITION = "x-dlq-source-partition"
SOURCE_OFFSET = "x-dlq-source-offset"
CHANNEL = "x-dlq-channel"
VALUE_OMITTED = "x-dlq-value-omitted"
DLQ_HEADERS = (ERROR, ERROR_CLASS, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET, CHANNEL, VALUE_OMITTED)

Headers = list[tuple[str, bytes | None]]


def dead_letter_topic(source_topic: str) -> str:
    return f"{source_topic}.dlq"


def printable(raw: bytes | str | None, limit: int | None = None) -> str:
    """Text PostgreSQL can store whatever the record held: bytes that are not UTF-8 and NUL escaped."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else (raw or "")
    text = text.replace("\x00", "\\x00")
    return text[:limit] if limit else text


def pack_headers(headers: Headers) -> bytes:
    """The headers exactly as received: JSON of [name, base64 of the value or null]."""
    return json.dumps([[name, None if value is None else base64.b64encode(value).decode()]
                       for name, value in headers]).encode()


def unpack_headers(packed: bytes) -> Headers:
    return [(name, None if value is None else base64.b64decode(value)) for name, value in json.loads(packed)]


def dead_letter(producer: Producer, channel: str, msg, headers: Headers, source: tuple[str, int, int],
                error: Exception, stopping: threading.Event | None = None) -> DeadLetter:
    """Publish the record to the dead-letter topic (waiting for the ack) and record it.

    `headers` are the record's headers as read (empty when the client could not read them).
    A database outage is waited out here (the record's offset is not stored meanwhile).
    """
    topic, partition, offset = source
    dlq_topic = dead_letter_topic(topic)
    error_text = printable(str(error), 2000)
    marks = [(ERROR, error_text.encode()), (ERROR_CLASS, type(error).__name__.encode()),
             (SOURCE_TOPIC, topic.encode()), (SOURCE_PARTITION, str(partition).encode()),
             (SOURCE_OFFSET, str(offset).encode()), (CHANNEL, channel.encode())]
    try:
        publish_and_wait(producer, dlq_topic, msg.value(), msg.key(), headers + marks)
    except RecordTooLarge:
        publish_and_wait(producer, dlq_topic, None, msg.key(),
                         headers + marks + [(VALUE_OMITTED, b"too large for the dead-letter topic; see the DeadLetter row")])
    readable = {printable(name, 255): printable(value, 4000) for name, value in headers}
    row = dict(
        dead_letter_topic=dlq_topic, key=msg.key(), value=msg.value(), headers=readable,
        raw_headers=pack_headers(headers), event_id=_uuid_or_none(readable.get("ce_id")),
        event_type=readable.get("ce_type", "")[:255], error_class=type(error).__name__[:100],
        error=printable(str(error), 4000),
    )
    return _record(channel, source, row, stopping or threading.Event())


def _record(channel: str, source: tuple[str, int, int], fields: dict, stopping: threading.Event) -> DeadLetter:
    topic, partition, offset = source
    backoff = Backoff()
    while True:
        try:
            row, _ = DeadLetter.objects.get_or_create(channel=channel, source_topic=topic, partition=partition,
                                                      offset=offset, defaults=fields)
            return row
        except (OperationalError, InterfaceError) as exc:
            connection.close()  # a terminated connection stays unusable until closed: the next try opens a new one
            if stopping.is_set():
                raise
            delay = backoff.next_delay()
            log.warning("dead letter of %s[%d]@%d not recorded yet (%s); again in %.1fs", topic, partition, offset,
                        exc, delay)
            stopping.wait(delay)


def republish(producer: Producer, rows) -> int:
    """Send dead letters back to their source topics, as they were first received.

    Log rows that could not be rendered for those events go back to PENDING first, on every
    channel, so the channels try them again (a final row is otherwise never sent again)."""
    event_ids = [row.event_id for row in rows if row.event_id]
    for model in log_models().values():
        reopen_unrendered(model.objects.filter(event_id__in=event_ids))
    count = 0
    for row in rows:
        headers = (unpack_headers(bytes(row.raw_headers)) if row.raw_headers is not None
                   else [(k, v.encode()) for k, v in row.headers.items()])
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
