"""STOP by SMS through the real pipeline, for each provider: the provider's authenticated callback (Twilio's
signed inbound message, Africa's Talking's opt-out notification behind its URL secret) opts the number out of
SMS; the next delivery notice is SUPPRESSED and never reaches the provider's API, a login code still goes
(an opt-out does not hold back what the recipient asked for), and START lets the next notice through."""
from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model

from consumers import preferences
from consumers.models import ConsentChange, Suppression
from consumers.suppressions import lift
from outbox import emit
from outbox.facade import SMSService
from tests.integration.sms.test_sms_pipeline import final_log
from tests.integration.webhooks.conftest import twilio_signature

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AT_SECRET = "Zq4-at-opt-out-secret_for-tests"


def reply(client, settings, pipeline, phone: str, text: str):
    """What the provider posts to us when `phone` texts `text` to our number (or opts out, on Africa's Talking)."""
    if pipeline.provider == "twilio":
        settings.SMS_PROVIDER, settings.SMS_API_KEY, settings.WEBHOOK_PUBLIC_URL = "twilio", pipeline.server.api_key, ""
        params = {"AccountSid": "AC" + "0" * 32, "MessageSid": "SM" + uuid.uuid4().hex, "From": phone,
                  "To": "+15005550006", "Body": text, "NumMedia": "0"}
        signature = twilio_signature(pipeline.server.api_key, "http://testserver/webhooks/twilio/inbound/", params)
        return client.post("/webhooks/twilio/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signature)
    settings.SMS_WEBHOOK_SECRET, settings.SMS_WEBHOOK_ALLOWED_IPS = AT_SECRET, []
    assert text == "STOP", "Africa's Talking reports opt-outs only; a START comes as a two-way message"
    return client.post(f"/webhooks/africastalking/opt-out/{AT_SECRET}/", {"senderId": "CHESANTO", "phoneNumber": phone})


def delivery(phone: str, order_id: str) -> str:
    return emit("dispatch.delivery_assigned", {"order_id": order_id, "phone": phone, "eta": "14:30"})


def test_stop_suppresses_the_next_notice_but_not_a_login_code(sms_pipeline, phone, client, settings):
    answer = reply(client, settings, sms_pipeline, phone, "STOP")
    assert answer.status_code == 200
    row = Suppression.objects.get(channel="sms", address=phone, lifted_at__isnull=True)
    assert (row.reason, row.source) == (Suppression.Reason.OPTED_OUT, {
        "twilio": "twilio STOP", "africastalking": "africastalking opt-out"}[sms_pipeline.provider])
    changes = ConsentChange.objects.filter(recipient=phone, channel="sms")
    assert sorted(changes.values_list("category", "opted_in", "source")) == [
        ("operational", False, "stop"), ("transactional", False, "stop")]  # marketing was never in
    assert reply(client, settings, sms_pipeline, phone, "STOP").status_code == 200  # again: nothing new
    assert changes.count() == 2 and Suppression.objects.filter(address=phone).count() == 1

    notice = final_log(delivery(phone, "ORD-STOP-1"))
    assert (notice.status, notice.error_message) == ("SUPPRESSED", "not sent: the recipient is opted out of transactional messages by sms")
    code = final_log(SMSService.send_otp(phone, "314159"))
    assert code.status == "SENT"
    assert [r.form.get("message") or r.form.get("Body") for r in sms_pipeline.server.to(phone)] == [
        "Chesanto: 314159 is your login code. It expires in 10 min. Never share it."]


def test_start_after_stop_lets_the_next_notice_through(sms_pipeline, phone, client, settings):
    """Twilio passes the recipient's START on; Africa's Talking has no opt-in callback (a START reaches the bakery
    as an ordinary two-way message), so there staff lift the suppression in the admin."""
    assert reply(client, settings, sms_pipeline, phone, "stop" if sms_pipeline.provider == "twilio" else "STOP"
                 ).status_code == 200
    assert final_log(delivery(phone, "ORD-START-1")).status == "SUPPRESSED"
    if sms_pipeline.provider == "twilio":
        assert reply(client, settings, sms_pipeline, phone, " Start ").status_code == 200
        expected_lift = 'twilio START: replied "Start"'
    else:
        staff = get_user_model().objects.create_user(f"ops-{uuid.uuid4().hex[:6]}", "ops@chesanto.local")
        expected_lift = "the customer asked by phone to have delivery texts again"
        assert lift(Suppression.objects.filter(address=phone), staff, expected_lift) == 1
        preferences.set(phone, "transactional", "sms", True, source="admin", by=staff, wording=expected_lift)
    row = Suppression.objects.get(channel="sms", address=phone)
    assert row.lifted_at is not None and row.lift_reason == expected_lift
    assert final_log(delivery(phone, "ORD-START-2")).status == "SENT"
    assert len(sms_pipeline.server.to(phone)) == 1
    if sms_pipeline.provider == "twilio":
        latest = ConsentChange.objects.filter(recipient=phone, channel="sms", category="transactional").first()
        assert (latest.opted_in, latest.source, latest.wording) == (True, "stop", 'replied "Start"')
