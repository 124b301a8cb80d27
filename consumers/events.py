"""A Kafka record read back as an event (CloudEvents Kafka binding, binary mode)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from outbox.events import get_event_type
from outbox.events.base import EventSchema
from outbox.secrets import unseal


class PoisonRecord(ValueError):
    """A record this system cannot turn into an event (not JSON, unknown type, bad data)."""


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

    @property
    def time(self) -> datetime | None:
        """When the event was emitted (ce_time), or None if the header is missing or malformed."""
        try:
            return datetime.fromisoformat(self.headers["ce_time"].replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return None

    @property
    def actor(self) -> str | None:
        return self.headers.get("ce_actor")

    @property
    def trace_id(self) -> str | None:
        return self.headers.get("trace_id")


def decode_headers(raw: list[tuple[str, bytes | None]] | None) -> dict[str, str]:
    return {name: (value or b"").decode("utf-8", "replace") for name, value in (raw or [])}


def parse_payload(value: bytes | None) -> dict[str, Any]:
    try:
        payload = json.loads(value or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonRecord(f"value is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PoisonRecord(f"value is JSON {type(payload).__name__}, expected an object")
    return payload


def event_from_message(msg, headers: dict[str, str] | None = None) -> InboundEvent:
    """The record as an event; `headers` are its decoded headers, when the caller has them already."""
    headers = headers if headers is not None else decode_headers(msg.headers())
    missing = [h for h in ("ce_id", "ce_type") if h not in headers]
    if missing:
        raise PoisonRecord(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        event_id = uuid.UUID(headers["ce_id"])
    except ValueError:
        raise PoisonRecord(f"ce_id {headers['ce_id']!r} is not a UUID") from None
    schema = get_event_type(headers["ce_type"])  # UnknownEventType is handled by the caller
    payload = {name: unseal(value) for name, value in parse_payload(msg.value()).items()}
    data = schema.parse(payload)  # InvalidEventData is handled by the caller
    return InboundEvent(
        id=event_id,
        type=headers["ce_type"],
        key=(msg.key() or b"").decode("utf-8", "replace"),
        data=data,
        headers=headers,
        topic=msg.topic(),
        partition=msg.partition(),
        offset=msg.offset(),
    )
