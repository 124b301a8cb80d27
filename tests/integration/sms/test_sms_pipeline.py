"""A business transaction's SMS, end to end, for each provider:
outbox -> relay -> Kafka -> `consume sms` -> the provider's HTTP API (a local server)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from confluent_kafka import Producer
from django.db import transaction

from chesanto_comms.kafka import client_properties, producer_properties
from consumers.sms.encoding import analyse
from consumers.sms.models import SMSLog
from outbox import emit
from outbox.facade import SMSService
from outbox.models import OutboxEvent
from tests.support.kafka_reader import read_record
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EXPECT = {  # what each provider's API says
    "africastalking": {
        "message_id_prefix": "ATXid_", "cost": Decimal("0.80"),
        "fields": lambda phone, text: {"username": "chesanto", "to": phone, "message": text, "from": "CHESANTO"},
        "invalid_number": "+254700000403", "invalid_error": "statusCode 403 InvalidPhoneNumber",
    },
    "twilio": {
        "message_id_prefix": "SM", "cost": Decimal("0.05"),
        "fields": lambda phone, text: {"To": phone, "From": "CHESANTO", "Body": text},
        "invalid_number": "+254700021211", "invalid_error": "error 21211: The 'To' number +254700021211 is not a valid phone number",
    },
}


def final_log(event_id, phone: str | None = None, timeout: float = 30.0) -> SMSLog:
    rows = SMSLog.objects.filter(event_id=event_id, status__in=SMSLog.FINAL)
    if phone:
        rows = rows.filter(phone_number=phone)
    return wait_until(rows.first, timeout=timeout, what=f"a final SMSLog for event {event_id}")


def test_otp_sms_is_sent_once_and_logged_with_the_code_masked(sms_pipeline, phone):
    expect = EXPECT[sms_pipeline.provider]
    with transaction.atomic():
        event_id = SMSService.send_otp(phone, "482913")

    log = final_log(event_id)
    text = "Chesanto: 482913 is your login code. It expires in 10 min. Never share it."
    (request,) = sms_pipeline.server.to(phone)
    assert request.status == 201 and request.form == expect["fields"](phone, text)
    assert (log.status, log.template, log.phone_number, log.provider) == ("SENT", "sms_auth_otp", phone, sms_pipeline.provider)
    assert log.provider_message_id.startswith(expect["message_id_prefix"])
    assert f'"{log.provider_message_id}"' in request.answer  # the id the provider answered with
    assert log.cost == expect["cost"]
    assert (log.encoding, log.segments) == ("GSM-7", 1)
    assert log.message == text.replace("482913", "******")  # the log never holds the code
    assert log.delivered_at is not None and log.error_message == ""


def test_invalid_number_is_rejected_with_the_providers_error_and_the_consumer_goes_on(sms_pipeline, phone):
    expect = EXPECT[sms_pipeline.provider]
    rejected_id = emit("dispatch.delivery_assigned", {"order_id": "ORD-2026-00999", "phone": expect["invalid_number"], "eta": "14:30"})
    log = final_log(rejected_id)
    assert log.status == "REJECTED" and expect["invalid_error"] in log.error_message
    assert log.retry_count == 1 and log.provider_message_id == ""

    ok_id = SMSService.send_delivery_notification(phone, "ORD-2026-01000", "15:00")
    assert final_log(ok_id).status == "SENT"
    assert sms_pipeline.consumer.running and sms_pipeline.relay.running


def test_redelivered_record_sends_one_sms(sms_pipeline, phone):
    event_id = SMSService.send_otp(phone, "771204")
    final_log(event_id)
    row = OutboxEvent.objects.get(id=event_id)
    original = read_record(row.kafka_topic, row.kafka_partition, row.kafka_offset)

    producer = Producer(producer_properties(client_properties()))
    for _ in range(2):  # the same record twice more, as a redelivery or a replay would bring it
        producer.produce(original.topic(), original.value(), original.key(), headers=original.headers())
    assert producer.flush(15) == 0

    # Same phone, same key, same partition: once the sentinel is final, the copies were handled.
    sentinel = SMSService.send_otp(phone, "999999")
    final_log(sentinel)
    assert [r.form.get("message", r.form.get("Body")).split()[1] for r in sms_pipeline.server.to(phone)] == ["771204", "999999"]
    assert SMSLog.objects.filter(event_id=event_id).count() == 1


def test_low_stock_alert_reaches_each_phone(sms_pipeline, phone):
    second = phone[:-1] + str((int(phone[-1]) + 1) % 10)
    event_id = emit("inventory.stock_low", {"product_id": "RM-FLOUR-001", "product_name": "Unga wa ngano", "current_stock": "12.5",
                                            "threshold": "50", "unit": "kg", "phones": [phone, second]})
    logs = [final_log(event_id, p) for p in (phone, second)]
    assert [log.status for log in logs] == ["SENT", "SENT"]
    assert len(sms_pipeline.server.to(phone)) == len(sms_pipeline.server.to(second)) == 1


def test_swahili_message_with_an_emoji_goes_as_ucs2_in_two_segments(sms_pipeline, phone):
    event_id = SMSService.send_delivery_notification(
        phone, "ORD-2026-00417", "leo saa nane mchana", driver_name="Wanjirũ Njoroge \U0001F69A", vehicle="KDA 123B")
    log = final_log(event_id)
    (request,) = sms_pipeline.server.to(phone)
    sent = request.form.get("message") or request.form["Body"]
    assert sent == ("Chesanto: your order ORD-2026-00417 is on its way, ETA leo saa nane mchana. "
                    "Driver: Wanjirũ Njoroge \U0001F69A (KDA 123B).")
    assert (log.encoding, log.segments) == ("UCS-2", 2) == (analyse(sent).encoding, analyse(sent).segments)
    assert log.message == sent and log.status == "SENT"
    if sms_pipeline.provider == "africastalking":
        assert log.cost == Decimal("1.60")  # priced per segment
