"""An outbox row as a Kafka record: CloudEvents Kafka binding, binary mode.

key = aggregate id, value = the JSON payload, headers = ce_* attributes plus the
actor and W3C trace context. Any Kafka client can read it without this code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings

from config.topics import topic_for

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class ClaimedRow:
    id: str
    aggregatetype: str
    aggregateid: str
    type: str
    payload: dict
    headers: dict
    created_at: datetime


@dataclass(frozen=True)
class OutboundRecord:
    row_id: str
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def cloudevent_headers(row: ClaimedRow) -> list[tuple[str, bytes]]:
    meta = row.headers or {}
    headers = [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", str(row.id)),
        ("ce_type", row.type),
        ("ce_source", f"{settings.OUTBOX_EVENT_SOURCE}/{row.aggregatetype}"),
        ("ce_time", rfc3339(row.created_at)),
        ("ce_subject", row.aggregateid),
        ("content-type", CONTENT_TYPE),
    ]
    if meta.get("schema_version") is not None:
        headers.append(("ce_dataschema", f"urn:chesanto:event:{row.type}:v{meta['schema_version']}"))
    if meta.get("actor"):
        headers.append(("ce_actor", str(meta["actor"])))
    if meta.get("traceparent"):
        headers.append(("traceparent", meta["traceparent"]))
        headers.append(("trace_id", meta.get("trace_id") or meta["traceparent"].split("-")[1]))
    return [(name, value.encode()) for name, value in headers]


def record_for(row: ClaimedRow) -> OutboundRecord:
    return OutboundRecord(
        row_id=str(row.id),
        topic=topic_for(row.aggregatetype),
        key=row.aggregateid.encode(),
        value=json.dumps(row.payload, separators=(",", ":")).encode(),
        headers=cloudevent_headers(row),
    )
