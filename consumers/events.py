"""A Kafka record read back as an event (CloudEvents Kafka binding, binary mode).

Whatever is wrong with a record itself — unreadable headers, a value that is not UTF-8 JSON or
nests too deeply, an unknown type, data the schema refuses, a sealed field that is no Fernet
token or a secret that arrived unsealed, a `ce_time` that is no time — raises `PoisonRecord`
(or the outbox's own typed errors, which are poison too): the consumer dead-letters the record
and moves on. Nothing a record carries can raise anything else out of `event_from_message`.

The record's envelope (its headers, signature, time and JSON value) is read as chesanto_comms/records.py
defines the wire format, for the relay's records and Debezium's alike (a record's own headers win over
those derived from Debezium's `outbox_headers`); here it becomes an event of a registered type.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chesanto_comms.records import (
    REQUIRED_HEADERS,
    SPEC_VERSION,
    PoisonRecord,
    check_signature,
    decode_headers,
    parse_payload,
    parse_time,
    passed_through,
    read_headers,
    record_time,
)
from outbox.errors import OutboxError
from outbox.events import get_event_type
from outbox.events.base import EventSchema
from outbox.secrets import SEALED, SecretKeyError, unseal

# What the decoding of a record may raise: all of it is about the record (dead-letter it).
POISON = (PoisonRecord, OutboxError, SecretKeyError)
# The envelope's readers, for the consume loop, which checks a record before decoding it
__all__ = ["POISON", "InboundEvent", "PoisonRecord", "check_signature", "decode_headers", "event_from_message",
           "parse_time", "read_headers"]


@dataclass(frozen=True)
class InboundEvent:
    id: uuid.UUID
    type: str
    key: str
    data: EventSchema
    headers: dict[str, str] = field(default_factory=dict)
    topic: str = ""
    partition: int = -1
    offset: int = -1
    emitted_at: datetime | None = None  # ce_time, else the record's create time
    record: Any = field(default=None, repr=False, compare=False)  # what it was read from (held messages keep it)

    @property
    def time(self) -> datetime | None:
        """When the event was emitted: its `ce_time`, else the Kafka record's create timestamp."""
        return self.emitted_at

    @property
    def spec_version(self) -> str:
        return self.headers.get("ce_specversion") or SPEC_VERSION

    @property
    def actor(self) -> str | None:
        return self.headers.get("ce_actor")

    @property
    def trace_id(self) -> str | None:
        return self.headers.get("trace_id")


def _opened(schema: type[EventSchema], payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its secret fields unsealed; each must arrive sealed, as a Fernet token."""
    secrets = set(schema.secret_fields())
    opened = {}
    for name, value in payload.items():
        if name in secrets:
            if value is None:
                opened[name] = value
                continue
            if not (isinstance(value, dict) and set(value) == {SEALED} and isinstance(value[SEALED], str)):
                raise PoisonRecord(f"secret field {name!r} did not arrive sealed as {{{SEALED!r}: <Fernet token>}}")
            opened[name] = unseal(value)
        else:
            opened[name] = value
    return opened


def event_from_message(msg, headers: dict[str, str] | None = None) -> InboundEvent:
    """The record as an event; `headers` are its decoded headers, when the caller has them already."""
    headers = headers if headers is not None else decode_headers(read_headers(msg))
    headers = {**passed_through(headers), **headers}
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    if missing:
        raise PoisonRecord(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        event_id = uuid.UUID(headers["ce_id"])
    except ValueError:
        raise PoisonRecord(f"ce_id {headers['ce_id'][:64]!r} is not a UUID") from None
    check_signature(msg, headers)
    schema = get_event_type(headers["ce_type"])  # UnknownEventType: poison
    emitted_at = parse_time(headers["ce_time"]) if "ce_time" in headers else record_time(msg)
    try:
        data = schema.parse(_opened(schema, parse_payload(msg.value())))  # InvalidEventData: poison
    except RecursionError:
        raise PoisonRecord("value nests too deeply to be an event") from None
    key = msg.key()
    return InboundEvent(
        id=event_id,
        type=headers["ce_type"],
        key=key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key or ""),
        data=data,
        headers=headers,
        topic=msg.topic(),
        partition=msg.partition(),
        offset=msg.offset(),
        emitted_at=emitted_at,
        record=msg,
    )
