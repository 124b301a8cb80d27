"""A customer's language, end to end: emit -> relay -> Kafka -> `consume email` and `consume sms` (processes)
-> the SMTP sink and Africa's Talking's API (a local server). An event that asks for Swahili arrives in
Swahili on each channel; one that names no language arrives in English (COMMS_DEFAULT_LANGUAGE's default).

The SMS channel sends no order confirmation (consumers/sms/notifications.py): the payment receipt, which
both channels send, is the SMS case.
"""
from __future__ import annotations

import uuid

import pytest

from chesanto_comms.embedded.sms import AfricasTalkingServer
from consumers.email.models import EmailLog
from consumers.sms.models import SMSLog
from outbox import emit
from outbox.events.samples import sample
from tests.integration.sms.conftest import random_phone
from tests.support.logs import final_email_log
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def language_pipeline(comms_env, smtp_sink, django_db_blocker):
    with AfricasTalkingServer(sender_ids={"CHESANTO"}) as server:
        run = f"lang-{uuid.uuid4().hex[:6]}"
        env = {
            **comms_env,
            "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
            "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-",
            "SMS_PROVIDER": "africastalking", "SMS_API_URL": server.url, "SMS_API_KEY": server.api_key,
            "SMS_USERNAME": server.username, "SMS_SENDER_ID": "CHESANTO", "SMS_TIMEOUT": "5",
        }
        processes = {"relay": ManagedProcess("relay", env=env), "email": ManagedProcess("consume", "email", env=env),
                     "sms": ManagedProcess("consume", "sms", env=env)}
        try:
            with django_db_blocker.unblock():
                phone, address = random_phone(), f"warmup-{uuid.uuid4().hex[:8]}@example.com"
                emit("sales.payment_received", payment(address, phone))
                try:
                    smtp_sink.wait_for(lambda received: bool(smtp_sink.to(address)), timeout=60)
                    server.wait_for(lambda requests: bool(server.to(phone)), timeout=60)
                except TimeoutError as exc:
                    raise AssertionError(f"{exc}\n" + "\n".join(f"--- {name} ---\n{p.log()}"
                                                                for name, p in processes.items())) from None
            yield server
        finally:
            codes = {name: process.stop() for name, process in processes.items()}
            assert set(codes.values()) == {0}, f"unclean stop {codes}"


def payment(address: str, phone: str, **changes) -> dict:
    return {**sample("sales.payment_received"), "customer_email": address, "phone": phone, **changes}


def order(address: str, **changes) -> dict:
    return {**sample("sales.order_confirmed"), "customer_email": address, **changes}


def received_email(smtp_sink, address: str):
    (email,) = smtp_sink.wait_for(lambda received: bool(smtp_sink.to(address))) and smtp_sink.to(address)
    return email


def final_sms(event_id) -> SMSLog:
    return wait_until(SMSLog.objects.filter(event_id=event_id, status__in=SMSLog.FINAL).first, timeout=30,
                      what=f"a final SMSLog for event {event_id}")


def test_an_order_confirmation_asked_for_in_swahili_arrives_in_swahili(language_pipeline, smtp_sink, unique_email):
    address = unique_email("duka")
    event_id = emit("sales.order_confirmed", order(address, language="sw"))
    log = final_email_log(event_id)
    email = received_email(smtp_sink, address)
    assert log.status == EmailLog.Status.SENT and log.context_data["language_used"] == "sw"
    assert email.subject == "Oda ORD-2026-00417 imethibitishwa - Chesanto Bakery" == log.subject
    text, html = email.body("plain"), email.body("html")
    assert "Habari Mama Njeri Shop," in text and "Asante kwa kununua kutoka Chesanto Bakery." in text
    assert "tutaileta tarehe 23 Novemba 2026" in text and "JUMLA: KES 3,050.00" in text
    assert '<html lang="sw"' in html and "Oda yako imethibitishwa" in html and "Huu ni ujumbe wa kiotomatiki" in html
    assert "Thank you" not in text + html


def test_an_order_confirmation_without_a_language_arrives_in_english(language_pipeline, smtp_sink, unique_email):
    address = unique_email("shop")
    event_id = emit("sales.order_confirmed", order(address))
    log = final_email_log(event_id)
    email = received_email(smtp_sink, address)
    assert (log.context_data["language"], log.context_data["language_used"]) == (None, "en")
    assert email.subject == "Order ORD-2026-00417 confirmed - Chesanto Bakery"
    assert "Thank you for ordering from Chesanto Bakery." in email.body("plain")
    assert "for delivery on 23 Nov 2026" in email.body("plain") and '<html lang="en"' in email.body("html")


def test_a_receipt_in_swahili_by_email_and_sms_and_one_in_english(language_pipeline, smtp_sink, unique_email):
    server = language_pipeline
    sw_address, sw_phone = unique_email("mteja"), random_phone()
    en_address, en_phone = unique_email("customer"), random_phone()
    swahili = emit("sales.payment_received", payment(sw_address, sw_phone, language="sw"))
    english = emit("sales.payment_received", payment(en_address, en_phone))

    expected_sw = ("Chesanto: Tumepokea KES 3,050.00 kwa M-Pesa, kumb. SKL4H7XQ2P. Risiti RCT-2026-1534 ya ankara "
                   "INV-2026-0975. Asante, Mama Njeri Shop!")
    log = final_sms(swahili)
    (request,) = server.to(sw_phone)
    assert request.form["message"] == expected_sw == log.message
    assert (log.status, log.encoding, log.segments) == ("SENT", "GSM-7", 1)
    assert received_email(smtp_sink, sw_address).subject == "Malipo yamepokelewa - risiti RCT-2026-1534"

    final_sms(english)
    (request,) = server.to(en_phone)
    assert request.form["message"].startswith("Chesanto: received KES 3,050.00 by M-Pesa")
    assert received_email(smtp_sink, en_address).subject == "Payment received - receipt RCT-2026-1534"
