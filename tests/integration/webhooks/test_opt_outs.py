"""The opt-out callbacks are authenticated as the delivery callbacks are: Twilio's inbound message by its
signature, Africa's Talking's opt-out by the URL secret (and allow-list). A refused one changes nothing; a
message that is not a keyword is left alone."""
from __future__ import annotations

import pytest

from consumers.models import ConsentChange, Suppression
from tests.integration.webhooks.conftest import twilio_signature

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TOKEN = "twilio-auth-token-for-tests"
INBOUND = "/webhooks/twilio/inbound/"
SECRET = "Zq4-at-callback-secret_for-tests"
PHONE = "+254712000111"


@pytest.fixture(autouse=True)
def provider_settings(settings):
    settings.SMS_PROVIDER, settings.SMS_API_KEY, settings.WEBHOOK_PUBLIC_URL = "twilio", TOKEN, ""
    settings.SMS_WEBHOOK_SECRET, settings.SMS_WEBHOOK_ALLOWED_IPS = SECRET, []


def inbound(body: str, sid: str = "SM1") -> dict[str, str]:
    return {"AccountSid": "AC" + "0" * 32, "MessageSid": sid, "From": PHONE, "To": "+15005550006", "Body": body}


def nothing_recorded() -> bool:
    return not Suppression.objects.filter(address=PHONE).exists() and not ConsentChange.objects.exists()


def test_twilio_stop_with_a_wrong_or_missing_signature_is_refused(client):
    params = inbound("STOP")
    forged = twilio_signature("another-token", "http://testserver" + INBOUND, params)
    assert client.post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=forged).status_code == 403
    assert client.post(INBOUND, params).status_code == 403
    assert nothing_recorded()


def test_twilio_replays_and_ordinary_messages(client, callbacks):
    params = inbound("STOP", sid="SM2")
    signed = twilio_signature(TOKEN, "http://testserver" + INBOUND, params)
    first = client.post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=signed)
    assert first.status_code == 200 and first["Content-Type"] == "text/xml" and b"<Response>" in first.content
    assert client.post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=signed).status_code == 409  # the same callback again
    chat = inbound("stop sending the bread at 6 please", sid="SM3")
    answer = client.post(INBOUND, chat, HTTP_X_TWILIO_SIGNATURE=twilio_signature(TOKEN, "http://testserver" + INBOUND, chat))
    assert answer.status_code == 200
    assert Suppression.objects.filter(address=PHONE).count() == 1  # only the keyword acted
    assert callbacks.since_start("twilio") == {"applied": 1, "refused_replay": 1, "duplicate": 1}


def test_africastalking_opt_out_needs_the_url_secret(client, settings):
    notice = {"senderId": "CHESANTO", "phoneNumber": PHONE}
    assert client.post("/webhooks/africastalking/opt-out/wrong-secret/", notice).status_code == 403
    assert client.post("/webhooks/africastalking/opt-out/", notice).status_code == 403
    settings.SMS_WEBHOOK_ALLOWED_IPS = ["196.201.214.0/24"]
    assert client.post(f"/webhooks/africastalking/opt-out/{SECRET}/", notice).status_code == 403  # 127.0.0.1
    assert nothing_recorded()
    settings.SMS_WEBHOOK_ALLOWED_IPS = []
    assert client.post(f"/webhooks/africastalking/opt-out/{SECRET}/", notice).status_code == 200
    assert Suppression.objects.get(address=PHONE).detail == "opted out of CHESANTO through Africa's Talking"
