"""A business transaction's notification, end to end: outbox -> relay -> Kafka -> email consumer -> SMTP."""
from __future__ import annotations

import json

import pytest
from confluent_kafka import Producer
from django.db import transaction

from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties, producer_properties
from consumers.email.models import EmailLog
from outbox import InvalidEventData, emit
from outbox.facade import EmailService
from outbox.models import OutboxEvent
from tests.support.logs import final_email_log as final_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_committed_emit_sends_exactly_one_email(pipeline, smtp_sink, unique_email):
    address = unique_email("invitee")
    with transaction.atomic():
        event_id = EmailService.send_invitation(
            address, "Wanjiku Kamau", "Salesman", "Tmp-4821-xQ", "https://bms.chesanto.test/login"
        )

    log = final_log(event_id)
    (received,) = smtp_sink.wait_for(lambda r: any(address in e.rcpt_tos for e in r)) and smtp_sink.to(address)
    assert log.status == EmailLog.Status.SENT
    assert log.recipient == address and log.template == "auth_invitation"
    assert received.subject == "Welcome to Chesanto Bakery Management System"
    assert str(received.message["Message-ID"]).strip() == log.provider_message_id
    html, text = received.body("html"), received.body("plain")
    for body in (html, text):
        assert "Wanjiku Kamau" in body and "Salesman" in body and "Tmp-4821-xQ" in body
        assert "https://bms.chesanto.test/login" in body
    assert 'style="' in html  # CSS inlined for mail clients
    assert log.context_data["temp_password"] == "**********"  # the log never holds the secret


def test_published_record_is_a_cloudevent_with_sealed_secrets(pipeline, kafka_record, unique_email):
    address = unique_email("otp")
    event_id = emit("auth.otp_requested", {"email": address, "name": "Otieno", "code": "482913"}, actor="42")
    final_log(event_id)
    row = OutboxEvent.objects.get(id=event_id)
    assert row.published_at is not None and row.kafka_topic == f"{comms.OUTBOX_TOPIC_PREFIX}auth"

    msg = kafka_record(row.kafka_topic, row.kafka_partition, row.kafka_offset)
    headers = {k: v.decode() for k, v in msg.headers()}
    assert msg.key().decode() == address
    assert headers["ce_id"] == str(event_id)
    assert headers["ce_type"] == "auth.otp_requested"
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_source"] == "/chesanto/auth"
    assert headers["ce_time"].endswith("Z")
    assert headers["content-type"] == "application/json"
    assert headers["ce_actor"] == "42"
    assert headers["traceparent"].split("-")[1] == headers["trace_id"]
    value = json.loads(msg.value())
    assert value["email"] == address and value["purpose"] == "login"
    assert "482913" not in msg.value().decode()  # the OTP code travels sealed
    assert set(value["code"]) == {"$sealed"}


def test_rolled_back_emit_publishes_and_sends_nothing(pipeline, smtp_sink, unique_email):
    address = unique_email("rollback")

    class BusinessFailure(Exception):
        pass

    with pytest.raises(BusinessFailure), transaction.atomic():
        emit("auth.user_invited", {"email": address, "name": "Never Sent", "role": "Baker",
                                   "temp_password": "Mkate-7429", "login_url": "https://bms.chesanto.test/login"})
        raise BusinessFailure
    assert not OutboxEvent.objects.filter(aggregateid=address).exists()

    # A later event with the same key travels the same partition: once it arrives,
    # anything the rolled-back one could have produced would have arrived before it.
    sentinel = emit("auth.otp_requested", {"email": address, "name": "Sentinel", "code": "111111"})
    final_log(sentinel)
    assert [e.subject for e in smtp_sink.to(address)] == ["Your Verification Code - Chesanto Bakery"]
    assert OutboxEvent.objects.filter(aggregateid=address).count() == 1


def test_redelivered_record_sends_one_email(pipeline, smtp_sink, kafka_record, unique_email):
    address = unique_email("dup")
    event_id = emit("auth.otp_requested", {"email": address, "name": "Achieng", "code": "771204"})
    final_log(event_id)
    row = OutboxEvent.objects.get(id=event_id)
    original = kafka_record(row.kafka_topic, row.kafka_partition, row.kafka_offset)

    producer = Producer(producer_properties(client_properties()))
    for _ in range(2):  # the same record, twice more, as a redelivery or replay would bring it
        producer.produce(original.topic(), original.value(), original.key(), headers=original.headers())
    assert producer.flush(15) == 0

    sentinel = emit("auth.otp_requested", {"email": address, "name": "Achieng", "code": "999999"})
    final_log(sentinel)
    assert len(smtp_sink.to(address)) == 2  # the event once, the sentinel once
    assert EmailLog.objects.filter(event_id=event_id).count() == 1


def test_bad_data_is_refused_at_emit_and_nothing_is_written(db):
    before = OutboxEvent.objects.count()
    with pytest.raises(InvalidEventData) as caught:
        emit("auth.user_invited", {"email": "not-an-address", "name": "X", "role": "Baker",
                                   "temp_password": "Mkate-7429", "login_url": "https://bms.chesanto.test/login"})
    assert "email" in caught.value.problems
    assert "invalid data for auth.user_invited: email:" in str(caught.value)
    with pytest.raises(InvalidEventData) as caught:
        emit("auth.otp_requested", {"email": "a@example.com", "name": "X", "code": "1234", "purpose": "shopping"})
    assert list(caught.value.problems) == ["purpose"]
    assert OutboxEvent.objects.count() == before


def test_smtp_refusal_is_logged_failed_and_consumer_keeps_going(pipeline, smtp_sink, unique_email):
    refused = unique_email("nobody", domain="refused.example")
    failed_id = emit("auth.otp_requested", {"email": refused, "name": "Nobody", "code": "123456"})
    log = final_log(failed_id)
    assert log.status == EmailLog.Status.FAILED
    assert "550" in log.error_message and "Recipient address rejected" in log.error_message
    assert log.retry_count == 1

    address = unique_email("after")
    ok_id = emit("auth.otp_requested", {"email": address, "name": "After", "code": "654321"})
    assert final_log(ok_id).status == EmailLog.Status.SENT
    assert pipeline["consumer"].running and pipeline["relay"].running
