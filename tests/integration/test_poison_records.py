"""No record, however malformed, stops a channel: a dozen poison records on the source topic and
on the retry topic, good events before, between and after, a SIGKILL and restart of the consumer
in between; every good event is delivered once, every bad record dead-lettered, and the consumer
is alive throughout."""
from __future__ import annotations

import json
import signal
import uuid

import pytest
from confluent_kafka import Producer

from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties, producer_properties
from consumers.dead_letters import unpack_headers
from consumers.email.models import EmailLog
from consumers.models import DeadLetter
from outbox import emit
from outbox.secrets import seal
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def otp_headers(**changes) -> list[tuple[str, bytes]]:
    headers = {"ce_specversion": "1.0", "ce_id": str(uuid.uuid4()), "ce_type": "auth.otp_requested",
               "ce_time": "2026-12-01T10:00:00Z", "content-type": "application/json", **changes}
    return [(name, value.encode() if isinstance(value, str) else value) for name, value in headers.items()]


def otp_value(address: str, **changes) -> bytes:
    return json.dumps({"email": address, "name": "Amina", "code": seal("482913"), **changes}).encode()


def retry_marks(attempt="1", not_before="0", source=None) -> list[tuple[str, bytes]]:
    source = source or f"{comms.OUTBOX_TOPIC_PREFIX}auth:0:0"
    return [("x-retry-attempt", attempt.encode()), ("x-retry-not-before-ms", not_before.encode()),
            ("x-retry-source", source.encode()), ("x-retry-reason", b"transient failure")]


def poison_records(tag: str) -> list[tuple[str, bytes | None, list]]:
    """(topic, value, headers): each wrong in its own way, none of them deliverable."""
    source, retry = f"{comms.OUTBOX_TOPIC_PREFIX}auth", f"{comms.OUTBOX_TOPIC_PREFIX}retry.email"
    bad = f"bad-{tag}@example.com"
    offset = 10_000 + 10 * len(tag)  # distinct fake source positions: a dead letter is recorded once per position
    return [
        (source, otp_value(bad, code={"$sealed": 5}), otp_headers()),  # a sealed field that is no token
        (source, otp_value(bad, code="482913"), otp_headers()),  # a secret that arrived unsealed
        (source, b"[" * 60_000 + b"]" * 60_000, otp_headers()),  # 60k levels of nesting
        (source, otp_value(bad), otp_headers(ce_type="auth.otp_requested\x00")),  # NUL in ce_type
        (source, otp_value(bad), otp_headers(ce_type="auth.nope", ce_subject="a\x00b")),  # NUL in another header
        (source, otp_value(bad, name="Wan\x00jiru"), otp_headers()),  # NUL in a schema-valid string
        (source, b"\xff\xfe\x00 not utf-8", otp_headers()),  # not UTF-8
        (source, otp_value(bad), otp_headers(ce_time="the day after tomorrow")),  # a nonsense ce_time
        (source, otp_value(bad), otp_headers(ce_id=b"\xff\xfe")),  # a header value that is not UTF-8
        (retry, otp_value(bad), otp_headers() + retry_marks(source="garbage")),  # a garbage x-retry-source
        (retry, otp_value(bad), otp_headers() + retry_marks(attempt="one", source=f"{source}:0:{offset}")),
        (retry, otp_value(bad), otp_headers() + retry_marks(not_before="soon", source=f"{source}:0:{offset + 1}")),
        (retry, b"{}", []),  # no headers at all, on the retry topic
    ]


def produce(records) -> None:
    producer = Producer(producer_properties(client_properties()))
    for topic, value, headers in records:
        producer.produce(topic, value, b"poison-key", headers=headers)
    assert producer.flush(15) == 0


def start_consumer(env) -> ManagedProcess:
    return ManagedProcess("consume", "email", env=env)


def good_events(tag: str, count: int = 3) -> dict[str, uuid.UUID]:
    addresses = [f"good-{tag}-{i}-{uuid.uuid4().hex[:6]}@example.com" for i in range(count)]
    return {address: emit("auth.otp_requested", {"email": address, "name": "Good", "code": "135790"})
            for address in addresses}


def wait_sent(events: dict[str, uuid.UUID], timeout: float = 90) -> None:
    wait_until(lambda: EmailLog.objects.filter(event_id__in=events.values(), status="SENT").count() == len(events),
               timeout=timeout, what=f"{len(events)} good events SENT")


def test_poison_never_stops_the_consumer_and_good_events_arrive_once(comms_env, smtp_sink):
    relay = ManagedProcess("relay", env=comms_env)
    consumer = start_consumer(comms_env)
    restarted = None
    try:
        before = good_events("before")
        wait_sent(before)
        produce(poison_records("first"))
        between = good_events("between")
        wait_sent(between)
        assert consumer.running, consumer.log()

        consumer.stop(signal.SIGKILL)  # mid-stream, before its offsets are necessarily committed
        produce(poison_records("second"))
        after_kill = good_events("after-kill")
        restarted = start_consumer(comms_env)
        wait_sent(after_kill)
        after = good_events("after")
        wait_sent(after)
        expected_poison = 2 * len(poison_records("x"))
        wait_until(lambda: DeadLetter.objects.filter(channel="email", key=b"poison-key").count() >= expected_poison,
                   timeout=60, what=f"{expected_poison} dead letters")
        assert restarted.running, restarted.log()
    finally:
        codes = [p.stop() for p in (relay, restarted) if p is not None]
    assert codes == [0, 0], f"{relay.log()}\n{restarted.log() if restarted else consumer.log()}"

    for address in {**before, **between, **after_kill, **after}:
        assert len(smtp_sink.to(address)) == 1, address
    assert not any(r for r in smtp_sink.received if any(t.startswith("bad-") for t in r.rcpt_tos))
    rows = DeadLetter.objects.filter(channel="email", key=b"poison-key")
    assert rows.count() == 2 * len(poison_records("x"))  # each once, though the restart read some again
    classes = set(rows.values_list("error_class", flat=True))
    assert {"PoisonRecord", "UnknownEventType"} <= classes and classes & {"DataError", "InvalidEventData"}, classes
    nul_rows = rows.filter(event_type="auth.otp_requested\\x00")  # NUL escaped in the row; the bytes kept raw
    assert nul_rows.count() == 2
    assert all(dict(unpack_headers(bytes(row.raw_headers)))["ce_type"] == b"auth.otp_requested\x00" for row in nul_rows)


def test_with_a_signing_key_unsigned_and_forged_records_are_dead_lettered(comms_env, smtp_sink):
    from chesanto_comms import signing

    env = {**comms_env, "OUTBOX_SIGNING_KEY": "relay-and-consumers-share-this-key"}
    relay, consumer = ManagedProcess("relay", env=env), ManagedProcess("consume", "email", env=env)
    try:
        forged_to, unsigned_to = f"forged-{uuid.uuid4().hex[:6]}@example.com", f"unsigned-{uuid.uuid4().hex[:6]}@example.com"
        topic = f"{comms.OUTBOX_TOPIC_PREFIX}auth"
        forged_headers = [h for h in otp_headers() if h[0] != "ce_time"]
        forged_headers.append((signing.HEADER, signing.signature("a-guessed-key", b"poison-key", otp_value(forged_to),
                                                                 dict(forged_headers)["ce_id"],
                                                                 b"auth.otp_requested")))
        unsigned_headers = otp_headers()
        produce([(topic, otp_value(forged_to), forged_headers), (topic, otp_value(unsigned_to), unsigned_headers)])
        good = good_events("signed", count=2)  # emitted, then signed by the relay
        wait_sent(good)
        # By event id: records earlier tests left on the topic arrive unsigned too, and are dead-lettered as well.
        forged_id, unsigned_id = (uuid.UUID(dict(h)["ce_id"].decode()) for h in (forged_headers, unsigned_headers))
        wait_until(lambda: DeadLetter.objects.filter(event_id=forged_id, error__contains="forged record").count() == 1
                   and DeadLetter.objects.filter(event_id=unsigned_id, error__contains="unsigned record").count() == 1,
                   timeout=60, what="the forged and the unsigned record dead-lettered")
        assert consumer.running, consumer.log()
    finally:
        codes = [relay.stop(), consumer.stop()]
    assert codes == [0, 0], f"{relay.log()}\n{consumer.log()}"
    assert smtp_sink.to(forged_to) == [] and smtp_sink.to(unsigned_to) == []
