"""The record's wire format (chesanto_comms/records.py): what the relay writes, the consumers read back."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from chesanto_comms import records, signing
from consumers.events import event_from_message
from outbox.events.samples import sample

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _row(**headers) -> records.ClaimedRow:
    return records.ClaimedRow(id=str(uuid.UUID(int=1)), aggregatetype="sales", aggregateid="ORD-1",
                              type="sales.order_confirmed", payload=sample("sales.order_confirmed"),
                              headers=headers, created_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC))


def test_the_headers_go_out_in_their_fixed_order(settings):
    settings.OUTBOX_SIGNING_KEY = []
    record = records.record_for(_row(actor="7", traceparent=TRACEPARENT, schema_version=1))
    assert [name for name, _ in record.headers] == [
        "ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "content-type", "ce_dataschema",
        "ce_actor", "traceparent", "trace_id"]
    assert dict(record.headers)["trace_id"] == b"4bf92f3577b34da6a3ce929d0e0e4736"
    assert record.value == json.dumps(sample("sales.order_confirmed"), separators=(",", ":")).encode()


def test_a_record_the_relay_builds_reads_back_as_its_event(settings):
    settings.OUTBOX_SIGNING_KEY = ["k"]
    record = records.record_for(_row(actor="7", traceparent=TRACEPARENT))
    message = records.as_message(record)
    records.check_signature(message, records.decode_headers(message.headers()))
    event = event_from_message(message)
    assert (str(event.id), event.type, event.key, event.actor) == (str(uuid.UUID(int=1)), "sales.order_confirmed",
                                                                   "ORD-1", "7")
    assert event.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736" and event.time == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_a_record_signed_with_another_key_is_poison(settings):
    settings.OUTBOX_SIGNING_KEY = ["theirs"]
    message = records.as_message(records.record_for(_row()))
    settings.OUTBOX_SIGNING_KEY = ["ours"]
    with pytest.raises(records.PoisonRecord, match="forged"):
        records.check_signature(message, records.decode_headers(message.headers()))
    assert signing.HEADER in records.decode_headers(message.headers())


def test_debeziums_outbox_headers_give_what_the_relay_would_have_sent():
    derived = records.passed_through({records.OUTBOX_HEADERS: json.dumps({"actor": 7, "traceparent": TRACEPARENT})})
    assert derived == {"ce_actor": "7", "traceparent": TRACEPARENT, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}
    assert records.passed_through({records.OUTBOX_HEADERS: json.dumps({"traceparent": "nodashes"})}) == {
        "traceparent": "nodashes"}
