"""A Kafka record read back as an event (CloudEvents Kafka binding, binary mode).

Whatever is wrong with a record itself — unreadable headers, a value that is not UTF-8 JSON or
nests too deeply, an unknown type, data the schema refuses, a sealed field that is no Fernet
token or a secret that arrived unsealed, a `ce_time` that is no time — raises `PoisonRecord`
(or the outbox's own typed errors, which are poison too): the consumer dead-letters the record
and moves on. Nothing a record carries can raise anything else out of `event_from_message`.

Records published by Debezium's Outbox Event Router (deploy/debezium/outbox-connector.json) are read
unchanged: they carry no `ce_specversion` (taken as 1.0, the only version there is), and the actor
and trace context arrive inside `outbox_headers`, the row's `headers` column as JSON text, instead of
as headers of their own (`ce_actor`, `traceparent`, `trace_id`); a record's own headers win.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from confluent_kafka import TIMESTAMP_CREATE_TIME

from chesanto_comms import signing
from chesanto_comms.conf import comms
from outbox.errors import OutboxError
from outbox.events import get_event_type
from outbox.events.base import EventSchema
from outbox.secrets import SEALED, SecretKeyError, unseal

REQUIRED_HEADERS = ("ce_id", "ce_type")
SPEC_VERSION = "1.0"  # what a record without ce_specversion (Debezium's) is taken to be
OUTBOX_HEADERS = "outbox_headers"  # the router's copy of the row's headers column (JSON text)


class PoisonRecord(ValueError):
    """A record this system cannot turn into an event (not JSON, unknown type, bad data)."""


# What the decoding of a record may raise: all of it is about the record (dead-letter it).
POISON = (PoisonRecord, OutboxError, SecretKeyError)


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


def read_headers(msg) -> list[tuple[str, bytes | None]]:
    """The record's headers as the client gives them; a header name that is not UTF-8 makes the
    client itself raise, and then the record is poison."""
    try:
        return list(msg.headers() or [])
    except (UnicodeDecodeError, TypeError) as exc:
        raise PoisonRecord(f"headers cannot be read: {exc}") from None


def decode_headers(raw: list[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """Header values as text (bytes that are not UTF-8 become U+FFFD); a later duplicate wins."""
    return {name: (value or b"").decode("utf-8", "replace") for name, value in (raw or [])}


def parse_payload(value: bytes | None) -> dict[str, Any]:
    try:
        payload = json.loads(value or b"")
    except RecursionError:
        raise PoisonRecord("value nests too deeply to be an event") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonRecord(f"value is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PoisonRecord(f"value is JSON {type(payload).__name__}, expected an object")
    return payload


def parse_time(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (ValueError, TypeError):
        raise PoisonRecord(f"ce_time {raw[:64]!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise PoisonRecord(f"ce_time {raw[:64]!r} has no UTC offset")
    return moment


def record_time(msg) -> datetime | None:
    """The record's create timestamp, when the producer set one (Debezium's records carry no ce_time)."""
    kind, millis = msg.timestamp() if hasattr(msg, "timestamp") else (None, 0)
    if kind != TIMESTAMP_CREATE_TIME or millis <= 0:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


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


def passed_through(headers: dict[str, str]) -> dict[str, str]:
    """The headers the relay would have sent, read from a Debezium record's `outbox_headers`."""
    raw = headers.get(OUTBOX_HEADERS)
    if not raw:  # absent, or a NULL column (a header without a value)
        return {}
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError):
        raise PoisonRecord(f"{OUTBOX_HEADERS} {raw[:64]!r} is not JSON") from None
    if not isinstance(meta, dict):
        raise PoisonRecord(f"{OUTBOX_HEADERS} is JSON {type(meta).__name__}, expected an object")
    derived = {}
    if meta.get("actor") not in (None, ""):
        derived["ce_actor"] = str(meta["actor"])
    if isinstance(traceparent := meta.get("traceparent"), str) and traceparent:
        derived["traceparent"] = traceparent
        trace_id = meta.get("trace_id") or (traceparent.split("-") + ["", ""])[1]  # as relay/records.py derives it
        if trace_id:
            derived["trace_id"] = str(trace_id)
    return derived


def check_signature(msg, headers: dict[str, str]) -> None:
    """With OUTBOX_SIGNING_KEY set, the record must carry a signature one of its keys made (over key,
    value, ce_id and ce_type); PoisonRecord otherwise. `headers` are the decoded headers."""
    if not (secrets := comms.OUTBOX_SIGNING_KEY):
        return
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    if missing:
        raise PoisonRecord(f"missing CloudEvents headers: {', '.join(missing)}")
    if signing.HEADER not in headers:
        raise PoisonRecord(f"unsigned record: OUTBOX_SIGNING_KEY is set and {signing.HEADER} is missing")
    if not signing.verified(secrets, headers[signing.HEADER], msg.key(), msg.value(), headers["ce_id"].encode(),
                            headers["ce_type"].encode()):
        raise PoisonRecord(f"forged record: {signing.HEADER} matches none of the OUTBOX_SIGNING_KEY keys")


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
    )
