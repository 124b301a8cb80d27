"""Failure policy on real services: transient errors retry through the retry topic, permanent
ones fail at once, poison records are dead-lettered, expired OTPs are not sent."""
from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer
from django.core.management import call_command
from django.utils import timezone

from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties, producer_properties
from consumers.email.models import EmailLog
from consumers.email.settings import email_settings
from consumers.models import DeadLetter
from outbox import emit
from outbox.emitter import sealed_payload
from outbox.events import get_event_type
from relay.records import ClaimedRow, record_for
from tests.support.kafka_reader import read_topic
from tests.support.logs import final_email_log as final_log
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def produce(topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> None:
    producer = Producer(producer_properties(client_properties()))
    producer.produce(topic, value, key, headers=headers)
    assert producer.flush(15) == 0


def otp(address: str, **extra) -> dict:
    return {"email": address, "name": "Test", "code": "246810", **extra}


def test_transient_error_is_retried_until_sent(pipeline, smtp_sink, unique_email):
    address = unique_email("flaky", domain="flaky.example")  # deferred (451) twice, then accepted
    event_id = emit("auth.otp_requested", otp(address))
    log = final_log(event_id)
    assert log.status == EmailLog.Status.SENT
    assert log.retry_count == 2
    assert len(smtp_sink.to(address)) == 1


def test_transient_error_gives_up_after_max_retries(pipeline, smtp_sink, unique_email):
    address = unique_email("deferred", domain="deferred.example")  # always 451
    event_id = emit("auth.otp_requested", otp(address))
    log = final_log(event_id)
    assert log.status == EmailLog.Status.FAILED
    assert log.retry_count == 4  # the first try and EMAIL_MAX_RETRIES=3 retries
    assert "gave up after 4 attempts" in log.error_message and "451" in log.error_message
    assert smtp_sink.to(address) == []


def test_transient_retry_does_not_block_the_partition(pipeline, smtp_sink, unique_email):
    slow = unique_email("deferred", domain="deferred.example")
    first = emit("auth.otp_requested", otp(slow))
    after = [emit("auth.otp_requested", otp(unique_email("next"))) for _ in range(5)]
    for event_id in after:  # delivered while `first` is still waiting for its retries
        assert final_log(event_id, timeout=20).status == EmailLog.Status.SENT
    assert EmailLog.objects.get(event_id=first).status in (EmailLog.Status.PENDING, EmailLog.Status.FAILED)


def test_expired_otp_is_logged_expired_and_not_sent(pipeline, smtp_sink, unique_email):
    address = unique_email("late")
    data = get_event_type("auth.otp_requested").parse(otp(address, expiry_minutes=10))
    row = ClaimedRow(id="0f5c2c7e-8b1e-4a53-9a0e-6d3f3c1f9a01", aggregatetype="auth", aggregateid=address,
                     type="auth.otp_requested", payload=sealed_payload(data), headers={},
                     created_at=timezone.now() - timedelta(minutes=11))
    record = record_for(row)
    produce(record.topic, record.value, record.key, record.headers)
    log = final_log(row.id)
    assert log.status == EmailLog.Status.EXPIRED and "expired at" in log.error_message
    assert smtp_sink.to(address) == []


@pytest.mark.parametrize("value, headers, error_class", [
    (b"not json {", [("ce_type", b"auth.otp_requested")], "PoisonRecord"),
    (b'{"email": "a@example.com"}', [("ce_type", b"auth.unheard_of")], "UnknownEventType"),
    (b'{"email": "a@example.com", "name": "No code"}', [("ce_type", b"auth.otp_requested")], "InvalidEventData"),
])
def test_poison_records_go_to_the_dead_letter_topic(pipeline, unique_email, value, headers, error_class):
    ce_id = str(uuid.uuid4())
    topic = f"{comms.OUTBOX_TOPIC_PREFIX}auth"
    produce(topic, value, b"poison", [("ce_id", ce_id.encode()), *headers])
    dead = wait_until(lambda: DeadLetter.objects.filter(event_id=ce_id).first(), what="a DeadLetter row")
    assert dead.error_class == error_class and dead.source_topic == topic and bytes(dead.value) == value
    (copy,) = [m for m in read_topic(f"{topic}.dlq") if dict(m.headers()).get("ce_id") == ce_id.encode()]
    copy_headers = dict(copy.headers())
    assert copy_headers["x-dlq-error-class"] == error_class.encode() and copy_headers["x-dlq-error"]
    assert copy_headers["x-dlq-source-offset"] == str(dead.offset).encode()
    # ...and the consumer moved on:
    assert final_log(emit("auth.otp_requested", otp(unique_email("after-poison")))).status == EmailLog.Status.SENT


def test_report_attachment_by_reference_and_missing_file_dead_letters(pipeline, smtp_sink, unique_email):
    storage = email_settings.REPORTS_STORAGE_DIR
    address = unique_email("manager")
    event_id = emit("reports.report_ready", {"email": address, "report_name": "Daily sales",
                                             "attachment_path": "daily/sales-missing.pdf"})
    log = final_log(event_id)
    assert log.status == EmailLog.Status.RENDER_FAILED
    assert log.error_message.startswith("AttachmentError") and "'daily/sales-missing.pdf' not found" in log.error_message
    dead = wait_until(lambda: DeadLetter.objects.filter(event_id=event_id).first(), what="a DeadLetter row")
    assert dead.error_class == "RenderFailed"

    # The operator puts the file in place and re-publishes the dead letter: now it is sent, with the file.
    (Path(storage) / "daily").mkdir(parents=True, exist_ok=True)
    (Path(storage) / "daily" / "sales-missing.pdf").write_bytes(b"%PDF-1.4 daily sales")
    call_command("dlq_republish", "--id", str(dead.pk))
    log = final_log(event_id, status=EmailLog.Status.SENT)
    (received,) = smtp_sink.to(address)
    (attachment,) = list(received.message.iter_attachments())
    assert attachment.get_filename() == "sales-missing.pdf"
    assert attachment.get_content() == b"%PDF-1.4 daily sales"
    assert DeadLetter.objects.get(pk=dead.pk).republished_at is not None
