"""`emit()`: validate an event and write it to the outbox in the caller's transaction."""
from __future__ import annotations

import json
import uuid
import zlib
from typing import Any

from django.conf import settings
from django.db import connections, transaction

from outbox import secrets, tracing
from outbox.events import get_event_type
from outbox.events.base import EventSchema

NOTIFY_CHANNEL = "outbox_event"

# One statement: the INSERT and the relay's wake-up. NOTIFY is delivered only
# when the surrounding transaction commits, so a rolled-back emit wakes no one.
_INSERT_AND_NOTIFY = f"""
WITH inserted AS (
    INSERT INTO outbox_event (id, aggregatetype, aggregateid, type, payload, headers, shard)
    VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s)
    RETURNING id
)
SELECT pg_notify('{NOTIFY_CHANNEL}', '') FROM inserted
"""


def shard_of(key: str, shards: int) -> int:
    """The shard a key belongs to; stable across processes and releases (CRC-32)."""
    return zlib.crc32(key.encode()) % shards


def sealed_payload(event: EventSchema) -> dict[str, Any]:
    payload = event.model_dump(mode="json")
    for name in event.secret_fields():
        payload[name] = secrets.seal(getattr(event, name).get_secret_value())
    return payload


def actor_id(actor: Any) -> str | None:
    if actor is None:
        return None
    pk = getattr(actor, "pk", None)  # a Django user (or any model instance)
    return str(pk if pk is not None else actor)


def build_headers(event: EventSchema, actor: Any) -> dict[str, Any]:
    traceparent = tracing.current_traceparent() or tracing.new_traceparent()
    return {
        "actor": actor_id(actor),
        "traceparent": traceparent,
        "trace_id": tracing.trace_id(traceparent),
        "schema_version": event.version,
    }


def emit(event_type: str, data: Any, *, key: str | None = None, actor: Any = None, using: str = "default") -> uuid.UUID:
    """Validate `data` against `event_type`'s schema and write one outbox row.

    Runs inside the caller's transaction (or its own, if there is none): the event
    is published only if that transaction commits. Returns the event id.
    Raises UnknownEventType or InvalidEventData (naming each bad field); nothing
    is written then.
    """
    schema = get_event_type(event_type)
    event = schema.parse(data)
    aggregate_id = str(key) if key is not None else event.partition_key()
    if not aggregate_id:
        raise ValueError(f"{event_type}: the partition key is empty; pass key=...")
    event_id = uuid.uuid4()
    params = (
        event_id,
        schema.domain(),
        aggregate_id,
        event_type,
        json.dumps(sealed_payload(event)),
        json.dumps(build_headers(event, actor)),
        shard_of(aggregate_id, settings.OUTBOX_SHARDS),
    )
    connection = connections[using]
    if connection.in_atomic_block:  # no savepoint: the caller's transaction decides
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_AND_NOTIFY, params)
    else:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(_INSERT_AND_NOTIFY, params)
    return event_id
