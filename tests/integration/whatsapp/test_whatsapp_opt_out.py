"""WhatsApp opt-outs through the signed webhook: a text STOP opts the sender out of WhatsApp (START back in);
Meta's `user_preferences` stop and a failed status with error 131050 record an opt-out of marketing on
WhatsApp, once; an unsigned body changes nothing."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from django.utils import timezone

from chesanto_comms.embedded.whatsapp import WhatsAppCloudServer
from consumers import preferences
from consumers.models import ConsentChange, Suppression
from consumers.whatsapp.models import WhatsAppLog

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PATH = "/webhooks/whatsapp/"
SECRET = "app-secret-for-tests"
PHONE = "+254712345679"
meta = WhatsAppCloudServer(app_secret=SECRET)  # builds and signs bodies as Meta does; never started here


@pytest.fixture(autouse=True)
def whatsapp_settings(settings):
    settings.WHATSAPP_APP_SECRET, settings.WHATSAPP_WEBHOOK_VERIFY_TOKEN = SECRET, "verify-me"


def post(client, body: bytes, signature: str | None = None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": meta.signed(body) if signature is None else signature}
    return client.post(PATH, body, content_type="application/json", **headers)


def text(body: str) -> bytes:
    return meta.envelope({"contacts": [{"profile": {"name": "Wanjiku"}, "wa_id": PHONE[1:]}], "messages": [
        {"from": PHONE[1:], "id": "wamid." + uuid.uuid4().hex, "timestamp": str(int(time.time())), "type": "text",
         "text": {"body": body}}]})


def user_preference(value: str) -> bytes:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "user_preferences", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "254700111222", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Wanjiku"}, "wa_id": PHONE[1:]}],
            "user_preferences": [{"wa_id": PHONE[1:], "detail": "User requested to stop marketing messages",
                                  "category": "marketing_messages", "value": value,
                                  "timestamp": int(time.time())}]}}]}]}
    return json.dumps(body).encode()


def test_a_text_stop_opts_out_of_whatsapp_and_start_back_in(client):
    assert post(client, text("STOP"), signature="sha256=" + "0" * 64).status_code == 403
    assert not Suppression.objects.filter(address=PHONE).exists()

    assert post(client, text("Stop")).status_code == 200
    row = Suppression.objects.get(channel="whatsapp", address=PHONE)
    assert (row.reason, row.source, row.lifted_at) == (Suppression.Reason.OPTED_OUT, "whatsapp STOP", None)
    assert not preferences.get(PHONE, "transactional", "whatsapp")
    assert preferences.get(PHONE, "transactional", "sms")  # another channel: untouched

    assert post(client, text("START")).status_code == 200
    row.refresh_from_db()
    assert row.lifted_at is not None
    assert preferences.get(PHONE, "transactional", "whatsapp")


def test_meta_user_preferences_stop_opts_out_of_marketing_once(client):
    preferences.set(PHONE, "marketing", "whatsapp", True, source="api", wording="Yes, offers by WhatsApp")
    assert post(client, user_preference("stop")).content == b"applied: 1\n"
    assert post(client, user_preference("stop")).content == b"duplicate: 1\n"
    latest = ConsentChange.objects.filter(recipient=PHONE, channel="whatsapp").first()
    assert (latest.category, latest.opted_in, latest.source) == ("marketing", False, "stop")
    assert latest.wording == "stop marketing messages in WhatsApp (User requested to stop marketing messages)"
    assert not Suppression.objects.filter(address=PHONE).exists()  # only marketing: the rest still goes
    assert post(client, user_preference("resume")).content == b"applied: 1\n"
    assert preferences.get(PHONE, "marketing", "whatsapp")


def test_error_131050_on_a_status_records_the_marketing_opt_out(client):
    preferences.set(PHONE, "marketing", "whatsapp", True, source="api", wording="Yes, offers by WhatsApp")
    row = WhatsAppLog.objects.create(
        event_id=uuid.uuid4(), phone_number=PHONE, template="whatsapp_promo", message="m", message_type="template",
        provider="meta", status="SENT", provider_message_id="wamid." + uuid.uuid4().hex, delivered_at=timezone.now())
    assert post(client, meta.envelope(meta.status_body(PHONE, row.provider_message_id, "failed", 131050))).status_code == 200
    assert not preferences.get(PHONE, "marketing", "whatsapp")
    assert ConsentChange.objects.filter(recipient=PHONE, opted_in=False).count() == 1


def test_a_stop_from_a_number_that_is_no_phone_number_is_answered_not_an_error(client):
    body = meta.envelope({"messages": [{"from": "999", "id": "wamid.x", "timestamp": str(int(time.time())),
                                        "type": "text", "text": {"body": "STOP"}}]})
    answer = post(client, body)
    assert (answer.status_code, answer.content) == (200, b"unknown_message: 1\n")
    assert not Suppression.objects.exists()
