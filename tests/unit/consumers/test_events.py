"""Reading a record back as an event: anything wrong with the record is poison, nothing else escapes."""
import json
import uuid
from datetime import datetime, timezone

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.events import POISON, PoisonRecord, event_from_message
from outbox.secrets import seal


class Record:
    """The slice of confluent_kafka.Message that decoding reads."""

    def __init__(self, value, headers, key=b"k", timestamp=(TIMESTAMP_CREATE_TIME, 1_780_000_000_000)):
        self._value, self._headers, self._key, self._timestamp = value, headers, key, timestamp

    def value(self):
        return self._value

    def headers(self):
        return self._headers

    def key(self):
        return self._key

    def timestamp(self):
        return self._timestamp

    def topic(self):
        return "chesanto.auth"

    def partition(self):
        return 0

    def offset(self):
        return 7


def otp_headers(**changes):
    headers = {"ce_id": str(uuid.uuid4()), "ce_type": "auth.otp_requested", "ce_time": "2026-12-01T10:00:00Z", **changes}
    return [(name, None if value is None else value.encode()) for name, value in headers.items()]


def otp_value(**changes):
    return json.dumps({"email": "amina@example.com", "name": "Amina", "code": seal("482913"), **changes}).encode()


def test_a_good_record_is_an_event():
    event = event_from_message(Record(otp_value(), otp_headers()))
    assert event.type == "auth.otp_requested" and event.data.revealed()["code"] == "482913"
    assert event.time == datetime(2026, 12, 1, 10, tzinfo=timezone.utc)


def test_without_ce_time_the_record_timestamp_is_the_emit_time():
    headers = [h for h in otp_headers() if h[0] != "ce_time"]  # as Debezium's outbox router sends it
    event = event_from_message(Record(otp_value(), headers, timestamp=(TIMESTAMP_CREATE_TIME, 1_780_000_000_000)))
    assert event.time == datetime.fromtimestamp(1_780_000_000, tz=timezone.utc)


def debezium_headers(outbox_headers: str, **changes):
    """What the Outbox Event Router sends with deploy/debezium/outbox-connector.json (FINDINGS: the exact bytes)."""
    headers = {"ce_id": str(uuid.uuid4()), "ce_type": "auth.otp_requested", "ce_time": "2026-12-01T21:17:07.218784Z",
               "ce_subject": "amina@example.com", "outbox_headers": outbox_headers, "content-type": "application/json",
               **changes}
    return [(name, value.encode()) for name, value in headers.items()]


def test_a_debezium_record_is_read_as_the_relay_s():
    meta = {"actor": "42", "trace_id": "2e86" * 8, "traceparent": f"00-{'2e86' * 8}-273a5c91858146dc-01",
            "schema_version": 1}
    value = json.dumps({"email": "amina@example.com", "name": "Amina", "code": seal("482913")}, separators=(", ", ": "))
    event = event_from_message(Record(value.encode(), debezium_headers(json.dumps(meta))))
    assert event.spec_version == "1.0"  # no ce_specversion header: CloudEvents 1.0
    assert event.actor == "42" and event.trace_id == "2e86" * 8
    assert event.headers["traceparent"] == meta["traceparent"]
    assert event.time == datetime(2026, 12, 1, 21, 17, 7, 218784, tzinfo=timezone.utc)  # six fractional digits
    assert event.data.revealed()["code"] == "482913"


@pytest.mark.parametrize("meta, actor, trace_id", [
    ({"actor": None, "traceparent": "00-abc-def-01", "schema_version": 1}, None, "abc"),  # trace_id from traceparent
    ({}, None, None),
    ({"actor": 7, "traceparent": "no dashes"}, "7", None),
])
def test_what_outbox_headers_lacks_stays_absent(meta, actor, trace_id):
    event = event_from_message(Record(otp_value(), debezium_headers(json.dumps(meta))))
    assert (event.actor, event.trace_id) == (actor, trace_id)


def test_an_outbox_headers_without_a_value_passes_nothing_through():
    headers = [(name, None if name == "outbox_headers" else value) for name, value in debezium_headers("{}")]
    assert event_from_message(Record(otp_value(), headers)).actor is None


def test_a_record_s_own_headers_win_over_outbox_headers():
    headers = debezium_headers(json.dumps({"actor": "from-row"}), ce_actor="from-header")
    assert event_from_message(Record(otp_value(), headers)).actor == "from-header"


@pytest.mark.parametrize("value, headers, why", [
    (otp_value(), debezium_headers("{not json"), "outbox_headers .* is not JSON"),
    (otp_value(), debezium_headers("[1]"), "outbox_headers is JSON list"),
    (otp_value(), debezium_headers("[" * 60_000), "outbox_headers .* is not JSON"),
    (otp_value(code={"$sealed": 5}), otp_headers(), "did not arrive sealed"),
    (otp_value(code="482913"), otp_headers(), "did not arrive sealed"),
    (otp_value(code={"$sealed": "not-a-token"}), otp_headers(), "cannot be opened"),
    (b"[" * 60_000 + b"]" * 60_000, otp_headers(), "nests too deeply"),
    (b"\xff\xfe not utf-8", otp_headers(), "not JSON"),
    (b"[1, 2]", otp_headers(), "expected an object"),
    (None, otp_headers(), "not JSON"),
    (otp_value(), otp_headers(ce_type="auth.otp_requested\x00"), "unknown event type"),
    (otp_value(), otp_headers(ce_time="last tuesday"), "not an RFC 3339 time"),
    (otp_value(), otp_headers(ce_time="2026-12-01T10:00:00"), "no UTC offset"),
    (otp_value(), otp_headers(ce_id="\x00"), "not a UUID"),
    (otp_value(), [("ce_type", b"auth.otp_requested")], "missing CloudEvents headers: ce_id"),
    (otp_value(name={"deep": [[[[1]]]]}), otp_headers(), "invalid data"),
])
def test_what_is_wrong_with_a_record_is_poison(value, headers, why):
    with pytest.raises(POISON, match=why):
        event_from_message(Record(value, headers))


class UnreadableHeaders(Record):
    def headers(self):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


def test_headers_the_client_cannot_read_are_poison():
    with pytest.raises(PoisonRecord, match="headers cannot be read"):
        event_from_message(UnreadableHeaders(otp_value(), []))


header_values = st.one_of(st.none(), st.binary(max_size=64),
                          st.sampled_from([b"auth.otp_requested", str(uuid.uuid4()).encode(), b"2026-12-01T10:00:00Z",
                                           b'{"actor": 1, "traceparent": 5}', b'{"traceparent": "-"}', b"null"]))
header_names = st.sampled_from(["ce_id", "ce_type", "ce_time", "ce_actor", "trace_id", "outbox_headers", "x"]) | \
    st.text(max_size=8)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=20)
values = st.one_of(st.binary(max_size=256), json_values.map(lambda v: json.dumps(v).encode()),
                   st.dictionaries(st.sampled_from(["email", "name", "code", "purpose", "phone", "x"]), json_values,
                                   max_size=6).map(lambda d: json.dumps(d).encode()))

EXAMPLES = 400


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values, headers=st.lists(st.tuples(header_names, header_values), max_size=6))
def test_any_bytes_are_an_event_or_poison_never_another_exception(value, headers):
    try:
        event = event_from_message(Record(value, headers))
    except POISON:
        return
    assert event.type and event.id
