"""An outbox row as a Kafka record: the wire format lives in chesanto_comms/records.py, shared with the
consumers and eager delivery; these names stay importable from here."""
from __future__ import annotations

from chesanto_comms.records import (
    CONTENT_TYPE,
    SPEC_VERSION,
    ClaimedRow,
    OutboundRecord,
    RecordBuilder,
    cloudevent_headers,
    record_for,
    rfc3339,
)

__all__ = ["CONTENT_TYPE", "SPEC_VERSION", "ClaimedRow", "OutboundRecord", "RecordBuilder", "cloudevent_headers",
           "record_for", "rfc3339"]
