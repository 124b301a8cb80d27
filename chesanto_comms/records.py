"""The Kafka record's wire format, in one place: CloudEvents Kafka binding, binary mode.

key = aggregate id, value = the JSON payload, headers = ce_* attributes plus the actor and W3C trace
context, and with OUTBOX_SIGNING_KEY the signature (chesanto_comms/signing.py). Any Kafka client can
read it without this code. The relay encodes records here (`RecordBuilder`), the consumers decode their
envelope here (`decode_headers`, `check_signature`, `parse_payload`, …; consumers/events.py turns it into
an event), and eager delivery does both (`as_message`). It names no channel, no relay, no consumer.

Records published by Debezium's Outbox Event Router (deploy/debezium/outbox-connector.json) carry no
`ce_specversion` (taken as 1.0, the only version there is), and the actor and trace context arrive inside
`outbox_headers`, the row's `headers` column as JSON text (`passed_through` derives them as the relay does).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from confluent_kafka import TIMESTAMP_CREATE_TIME

from chesanto_comms import signing
from chesanto_comms.conf import comms
from chesanto_comms.topics import topic_for

SPEC_VERSION = "1.0"  # what the relay writes, and what a record without ce_specversion (Debezium's) is taken to be
CONTENT_TYPE = "application/json"
REQUIRED_HEADERS = ("ce_id", "ce_type")
OUTBOX_HEADERS = "outbox_headers"  # Debezium's router's copy of the row's headers column (JSON text)


class PoisonRecord(ValueError):
    """A record this system cannot turn into an event (not JSON, unknown type, bad data)."""


def trace_id_of(meta: dict[str, Any], traceparent: str) -> str:
    """The trace id a record carries: the row's own, else the one inside its W3C traceparent
    (IndexError for a traceparent without one)."""
    return meta.get("trace_id") or traceparent.split("-")[1]


# --- encoding: an outbox row as a record -------------------------------------------------------
@dataclass(slots=True)
class ClaimedRow:
    id: str
    aggregatetype: str
    aggregateid: str
    type: str
    payload: str | dict  # jsonb's text as claimed (the record's value as it is), or a mapping to encode
    headers: dict
    created_at: datetime
    seq: int = 0
    attempts: int = 0  # failed attempts so far (the row's own failures)


@dataclass(slots=True)
class OutboundRecord:
    """What is handed to the producer."""
    row_id: str
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


# For a payload handed over as a mapping (the eager path, tests): compact, and strict (a number
# beyond a double would otherwise come out as the invalid JSON `Infinity`; here it is poison).
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_SPEC_VERSION = SPEC_VERSION.encode()
_CONTENT_TYPE = CONTENT_TYPE.encode()


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is not timezone.utc:  # the relay's session is in UTC: rows come without a conversion
        moment = moment.astimezone(timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=1024)
def _type_headers(event_type: str, domain: str, schema_version, source: str) -> tuple[tuple[str, bytes], ...]:
    """The headers every row of one type shares (most of the work of building a record, done once)."""
    return (("ce_type", event_type.encode()), ("ce_source", f"{source}/{domain}".encode())) + (
        (("ce_dataschema", f"urn:chesanto:event:{event_type}:v{schema_version}".encode()),)
        if schema_version is not None else ())


def cloudevent_headers(row: ClaimedRow, source: str | None = None) -> list[tuple[str, bytes]]:
    meta = row.headers or {}
    shared = _type_headers(row.type, row.aggregatetype, meta.get("schema_version"),
                           comms.OUTBOX_EVENT_SOURCE if source is None else source)
    headers = [
        ("ce_specversion", _SPEC_VERSION),
        ("ce_id", str(row.id).encode()),
        shared[0],
        shared[1],
        ("ce_time", rfc3339(row.created_at).encode()),
        ("ce_subject", row.aggregateid.encode()),
        ("content-type", _CONTENT_TYPE),
        *shared[2:],
    ]
    if meta.get("actor"):
        headers.append(("ce_actor", str(meta["actor"]).encode()))
    if traceparent := meta.get("traceparent"):
        headers.append(("traceparent", traceparent.encode()))
        headers.append(("trace_id", trace_id_of(meta, traceparent).encode()))
    return headers


class RecordBuilder:
    """Turns rows into records with the settings read once (a relay makes one per batch)."""

    def __init__(self):
        self.source = comms.OUTBOX_EVENT_SOURCE
        keys = comms.OUTBOX_SIGNING_KEY
        self.signing_key = keys[0] if keys else None
        self._topics: dict[str, str] = {}

    def topic(self, domain: str) -> str:
        topic = self._topics.get(domain)
        if topic is None:
            topic = self._topics[domain] = topic_for(domain)
        return topic

    def __call__(self, row: ClaimedRow) -> OutboundRecord:
        payload = row.payload
        key, value = row.aggregateid.encode(), (payload if type(payload) is str else _ENCODER.encode(payload)).encode()
        headers = cloudevent_headers(row, self.source)
        if self.signing_key is not None:  # headers[1] is ce_id, headers[2] ce_type (cloudevent_headers' order)
            headers.append((signing.HEADER, signing.signature(self.signing_key, key, value, headers[1][1], headers[2][1])))
        return OutboundRecord(row_id=str(row.id), topic=self.topic(row.aggregatetype), key=key, value=value,
                              headers=headers)


def record_for(row: ClaimedRow) -> OutboundRecord:
    return RecordBuilder()(row)


class RecordMessage:
    """An outbound record as a consumer reads it: the slice of confluent_kafka.Message decoding uses."""

    def __init__(self, record: OutboundRecord):
        self._record = record

    def topic(self) -> str:
        return self._record.topic

    def partition(self) -> int:
        return -1

    def offset(self) -> int:
        return -1

    def key(self) -> bytes:
        return self._record.key

    def value(self) -> bytes:
        return self._record.value

    def headers(self) -> list[tuple[str, bytes]]:
        return self._record.headers


def as_message(record: OutboundRecord) -> RecordMessage:
    return RecordMessage(record)


# --- decoding: a record's envelope, read back ---------------------------------------------------
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
        try:
            trace_id = trace_id_of(meta, traceparent)
        except IndexError:  # a traceparent without a trace id: the record carries none
            trace_id = ""
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
