"""An outbox row as a Kafka record: CloudEvents Kafka binding, binary mode.

key = aggregate id, value = the JSON payload, headers = ce_* attributes plus the
actor and W3C trace context. Any Kafka client can read it without this code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from chesanto_comms import signing
from chesanto_comms.conf import comms
from chesanto_comms.topics import topic_for

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


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
        headers.append(("trace_id", (meta.get("trace_id") or traceparent.split("-")[1]).encode()))
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
