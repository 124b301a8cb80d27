import uuid
from datetime import datetime, timedelta, timezone

from relay.records import ClaimedRow, record_for


def test_row_becomes_a_cloudevents_binary_record(settings):
    settings.OUTBOX_TOPIC_PREFIX = "chesanto."
    row_id = uuid.uuid4()
    row = ClaimedRow(
        id=row_id, aggregatetype="auth", aggregateid="a@example.com", type="auth.otp_requested",
        payload={"email": "a@example.com", "code": {"$sealed": "tok"}},
        headers={"actor": "7", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                 "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "schema_version": 1},
        created_at=datetime(2026, 11, 21, 13, 0, 0, 123000, tzinfo=timezone(timedelta(hours=3))),  # Nairobi
    )
    record = record_for(row)
    headers = dict((k, v.decode()) for k, v in record.headers)
    assert record.topic == "chesanto.auth" and record.key == b"a@example.com"
    assert record.value == b'{"email":"a@example.com","code":{"$sealed":"tok"}}'
    assert headers == {
        "ce_specversion": "1.0", "ce_id": str(row_id), "ce_type": "auth.otp_requested",
        "ce_source": "/chesanto/auth", "ce_time": "2026-11-21T10:00:00.123000Z", "ce_subject": "a@example.com",
        "content-type": "application/json", "ce_dataschema": "urn:chesanto:event:auth.otp_requested:v1",
        "ce_actor": "7", "traceparent": row.headers["traceparent"], "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }


def test_a_number_json_cannot_hold_makes_the_row_unserialisable():
    import pytest

    row = ClaimedRow(id=uuid.uuid4(), aggregatetype="auth", aggregateid="k", type="auth.otp_requested",
                     payload={"n": float("inf")}, headers={}, created_at=datetime.now(timezone.utc))
    with pytest.raises(ValueError):
        record_for(row)


def test_with_a_signing_key_each_record_carries_a_verifiable_signature(settings):
    from chesanto_comms import signing

    settings.OUTBOX_SIGNING_KEY = ["new", "old"]
    row = ClaimedRow(id=str(uuid.uuid4()), aggregatetype="sales", aggregateid="ORD-1", type="sales.order_confirmed",
                     payload={"total": "110.00"}, headers={}, created_at=datetime.now(timezone.utc))
    record = record_for(row)
    headers = dict(record.headers)
    assert signing.verified(["new"], headers[signing.HEADER].decode(), record.key, record.value,
                            headers["ce_id"], headers["ce_type"])
    settings.OUTBOX_SIGNING_KEY = []
    assert signing.HEADER not in dict(record_for(row).headers)


def test_emits_size_estimate_bounds_the_record_the_relay_builds():
    """outbox/limits.record_size, which emit() checks against OUTBOX_MAX_EVENT_BYTES, is an upper bound
    of the record built here (key, value, header names and values), with room for Kafka's framing."""
    import json

    from outbox.emitter import _JSON, build_headers, sealed_payload
    from outbox.events import event_types
    from outbox.events.samples import sample
    from outbox.limits import record_size
    from relay.records import RecordBuilder

    for event_type, schema in event_types().items():
        event = schema.parse({**sample(event_type), **({"name": "Wanjirũ 🍞"} if "name" in schema.model_fields else {})})
        payload, headers = sealed_payload(event), build_headers(event, "a-rather-long-actor-id-" * 4)
        payload_json, headers_json = _JSON.encode(payload), _JSON.encode(headers)
        key = event.partition_key()
        stored = jsonb_text(json.loads(payload_json))  # what the relay claims: jsonb's own text
        row = ClaimedRow(id=uuid.uuid4(), aggregatetype=schema.domain(), aggregateid=key, type=event_type,
                         payload=stored, headers=headers,
                         created_at=datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=timezone.utc))
        record = RecordBuilder()(row)
        assert record.value == stored.encode() and json.loads(record.value) == payload, event_type
        actual = len(record.key) + len(record.value) + sum(len(name) + len(value) for name, value in record.headers)
        estimate = record_size(payload_json, headers_json, key.encode(), event_type)
        framing = 61 + 30 + 8 * len(record.headers)  # batch header, record fields, per-header varints
        assert actual + framing <= estimate <= actual + 1100, (event_type, actual, estimate)


def jsonb_text(value) -> str:
    """PostgreSQL's text of a jsonb value: keys by length, then bytes; ', ' and ': '; UTF-8 as it is."""
    import json

    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: (len(item[0].encode()), item[0].encode()))
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {jsonb_text(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def test_the_size_bound_holds_for_numbers_jsonb_writes_out_in_full():
    """jsonb keeps 1e-300 as a numeric and writes it as 0.000…1: the bound grows with the exponent."""
    from decimal import Decimal

    from outbox.limits import record_size

    for number in ("1e-300", "1.5e+300", "-2.25E-20", "7e16"):
        compact, text = f'{{"q":{number},"n":[1,2]}}', f'{{"n": [1, 2], "q": {format(Decimal(number), "f")}}}'
        assert record_size(compact, "{}", b"k", "t") - record_size("", "{}", b"k", "t") >= len(text), number


def test_digits_and_an_e_inside_a_string_do_not_inflate_the_size_bound():
    from outbox.limits import record_size

    token = '{"code":{"$sealed":"gAAAAABpZ1e9234567e8_x1E99999"},"ref":"9e400"}'
    assert record_size(token, "{}", b"k", "t") - record_size("", "{}", b"k", "t") <= 2 * len(token)


def test_a_payload_claimed_as_text_is_the_records_value_byte_for_byte():
    row = ClaimedRow(id=str(uuid.uuid4()), aggregatetype="sales", aggregateid="ORD-1", type="sales.order_confirmed",
                     payload='{"total": "110.00", "customer_name": "Wanjirũ"}', headers={},
                     created_at=datetime.now(timezone.utc))
    assert record_for(row).value == '{"total": "110.00", "customer_name": "Wanjirũ"}'.encode()
