"""`emit()`: validate an event and write it to the outbox in the caller's transaction."""
from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections

from chesanto_comms.conf import comms
from outbox import limits, secrets, tracing
from outbox.errors import EventTooLarge, InvalidEventData, ScheduledSendUnsupported
from outbox.events import get_event_type
from outbox.events.base import OMITTED_WHEN_NONE, EventSchema

NOTIFY_CHANNEL = "outbox_event"
# The payload and headers as the relay will publish them: compact, ASCII-only (so len() is bytes), strict.
_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=False)

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

# A scheduled event waits in outbox_scheduled; the relay moves it into outbox_event when it is due
# (relay/store.py RELEASE). No NOTIFY: the relay looks for due rows every RELAY_RELEASE_INTERVAL.
_INSERT_SCHEDULED = """
INSERT INTO outbox_scheduled (id, aggregatetype, aggregateid, type, payload, headers, shard, deliver_at)
VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s)
"""

# With COMMS_EAGER_DELIVERY (a project's own tests) the row is written already published, so
# no relay sends it again, and the channels deliver it in-process (consumers/eager.py).
_INSERT_DELIVERED = """
INSERT INTO outbox_event (id, aggregatetype, aggregateid, type, payload, headers, shard, published_at)
VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, now())
RETURNING created_at
"""


@dataclass(frozen=True)
class EmittedEvent:
    """A row as written, for the eager delivery hook."""
    id: uuid.UUID
    aggregatetype: str
    aggregateid: str
    type: str
    payload: dict[str, Any]
    headers: dict[str, Any]
    created_at: datetime


EagerDelivery = Callable[[EmittedEvent], None]
_eager_delivery: EagerDelivery | None = None


def set_eager_delivery(deliver: EagerDelivery) -> None:
    """The consumers app hands over its in-process delivery here (outbox knows no channel)."""
    global _eager_delivery
    _eager_delivery = deliver


def shard_of(key: str, shards: int) -> int:
    """The shard a key belongs to; stable across processes and releases (CRC-32)."""
    return zlib.crc32(key.encode()) % shards


def sealed_payload(event: EventSchema) -> dict[str, Any]:
    payload = event.model_dump(mode="json")
    for name in OMITTED_WHEN_NONE:
        if name in payload and payload[name] is None:
            del payload[name]
    for name in event.secret_fields():
        if (value := getattr(event, name)) is not None:
            secret = value.get_secret_value()
            if limits.NUL in secret:  # sealed, it would no longer show in the payload's JSON
                raise InvalidEventData(event.event_type, {name: limits.NUL_PROBLEM})
            payload[name] = secrets.seal(secret)
    return payload


def actor_id(actor: Any) -> str | None:
    if actor is None:
        return None
    pk = getattr(actor, "pk", None)  # a Django user (or any model instance)
    return str(pk if pk is not None else actor)


def build_headers(event: EventSchema, actor: str | None) -> dict[str, Any]:
    traceparent = tracing.current_traceparent() or tracing.new_traceparent()
    return {
        "actor": actor,
        "traceparent": traceparent,
        "trace_id": tracing.trace_id(traceparent),
        "schema_version": event.version,
    }


def emit(event_type: str, data: Any, *, key: str | None = None, actor: Any = None, using: str = "default",
         deliver_at: datetime | None = None) -> uuid.UUID:
    """Validate `data` against `event_type`'s schema and write one outbox row.

    Runs inside the caller's transaction (or its own, if there is none): the event
    is published only if that transaction commits. Returns the event id.
    With `deliver_at` (an aware datetime) the event is held and published when due
    (docs/scheduling.md); `outbox.cancel(event_id)` withdraws it until then.
    Raises UnknownEventType, InvalidEventData (naming each bad field, the key or the
    actor: outbox/limits.py), EventTooLarge, or ScheduledSendUnsupported (deliver_at
    with OUTBOX_PUBLISHER=debezium); nothing is written then, and the caller's
    transaction goes on.
    """
    if deliver_at is not None:
        _refuse_unschedulable(event_type, deliver_at)
    schema = get_event_type(event_type)
    event = schema.parse(data)
    aggregate_id = str(key) if key is not None else event.partition_key()
    actor = actor_id(actor)
    payload, headers = sealed_payload(event), build_headers(event, actor)
    payload_json, headers_json = _JSON.encode(payload), _JSON.encode(headers)
    _refuse_what_postgresql_cannot_store(event_type, payload, payload_json, aggregate_id, actor,
                                         "key" if key is not None else schema.key_field)
    size = limits.record_size(payload_json, headers_json, aggregate_id.encode(), event_type)
    if size > limits.MIN_EVENT_BYTES_LIMIT and size > (limit := comms.OUTBOX_MAX_EVENT_BYTES):
        raise EventTooLarge(event_type, size, limit)
    event_id = uuid.uuid4()
    params = (
        event_id,
        schema.domain(),
        aggregate_id,
        event_type,
        payload_json,
        headers_json,
        shard_of(aggregate_id, comms.OUTBOX_SHARDS),
    )
    eager = bool(comms.COMMS_EAGER_DELIVERY) and _eager_delivery is not None
    if deliver_at is not None and not eager:  # eager delivery (a project's tests) sends it at once
        with connections[using].cursor() as cursor:
            cursor.execute(_INSERT_SCHEDULED, (*params, deliver_at))
        return event_id
    # One statement: inside the caller's transaction it is part of it (no savepoint: the caller's
    # transaction decides); outside one, in autocommit, it is a transaction of its own, so no
    # BEGIN and COMMIT are sent around it.
    with connections[using].cursor() as cursor:
        cursor.execute(_INSERT_DELIVERED if eager else _INSERT_AND_NOTIFY, params)
        created_at = cursor.fetchone()[0] if eager else None
    if eager:
        _eager_delivery(EmittedEvent(event_id, schema.domain(), aggregate_id, event_type, payload, headers, created_at))
    return event_id


def _refuse_unschedulable(event_type: str, deliver_at: Any) -> None:
    from chesanto_comms.publication import Publisher, publisher  # imported late: it reads the settings

    if not isinstance(deliver_at, datetime) or deliver_at.utcoffset() is None:
        raise InvalidEventData(event_type, {"deliver_at": f"must be an aware datetime (with a time zone), "
                                                          f"not {deliver_at!r}"})
    if publisher() is Publisher.DEBEZIUM:
        raise ScheduledSendUnsupported(event_type)


def _refuse_what_postgresql_cannot_store(event_type: str, payload: dict, payload_json: str, key: str,
                                         actor: str | None, key_name: str) -> None:
    problems = {}
    if problem := limits.id_problem(key):
        problems[key_name] = f"as the partition key, {problem}" + ("; pass key=..." if problem == "is empty" else "")
    if actor is not None and (problem := limits.id_problem(actor)):
        problems["actor"] = f"as the actor id, {problem}"
    if limits.ESCAPED_NUL in payload_json:  # rare: only then is the payload walked (an escaped "\\u0000" also matches)
        problems.update(dict.fromkeys(limits.nul_paths(payload), limits.NUL_PROBLEM))
    if problems:
        raise InvalidEventData(event_type, problems)
