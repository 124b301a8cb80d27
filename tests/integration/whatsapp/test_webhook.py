"""The WhatsApp webhook through Django's test client: the verify-token handshake, signed status
callbacks applied once and forward only, inbound messages opening the window, and refusals."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chesanto_comms.embedded.whatsapp import WhatsAppCloudServer
from consumers.whatsapp.models import WhatsAppContact, WhatsAppLog

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PATH = "/webhooks/whatsapp/"
SECRET = "app-secret-for-tests"
PHONE = "+254712345678"
meta = WhatsAppCloudServer(app_secret=SECRET)  # builds and signs bodies as Meta does; never started here


@pytest.fixture(autouse=True)
def whatsapp_settings(settings):
    settings.WHATSAPP_APP_SECRET, settings.WHATSAPP_WEBHOOK_VERIFY_TOKEN = SECRET, "verify-me"
    return settings


@pytest.fixture
def row(db) -> WhatsAppLog:
    return WhatsAppLog.objects.create(
        event_id=uuid.uuid4(), phone_number=PHONE, template="whatsapp_dispatch_delivery", message="m",
        message_type="template", provider="meta", status="SENT", provider_message_id="wamid." + uuid.uuid4().hex,
        delivered_at=timezone.now() - timedelta(minutes=5))


def post(client, body: bytes, signature: str | None = None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": meta.signed(body) if signature is None else signature}
    return client.post(PATH, body, content_type="application/json", **headers)


def status(message_id: str, word: str, error: int | None = None, at: int | None = None) -> bytes:
    value = meta.status_body(PHONE, message_id, word, error)
    if at is not None:
        value["statuses"][0]["timestamp"] = str(at)
    return meta.envelope(value)


def test_the_handshake_echoes_the_challenge_only_for_the_verify_token(client, callbacks):
    ok = client.get(PATH, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    assert client.get(PATH, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}).status_code == 403
    assert client.get(PATH, {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me"}).status_code == 403
    assert callbacks.since_start() == {"refused_forged": 1, "refused_unsigned": 1}


def test_without_secrets_the_endpoint_is_off(client, whatsapp_settings):
    whatsapp_settings.WHATSAPP_APP_SECRET, whatsapp_settings.WHATSAPP_WEBHOOK_VERIFY_TOKEN = "", ""
    assert post(client, status("wamid.x", "delivered")).status_code == 404
    assert client.get(PATH, {"hub.mode": "subscribe", "hub.verify_token": ""}).status_code == 404
    assert client.put(PATH).status_code == 405


def test_delivered_then_read_once_each_and_never_backwards(client, row, callbacks):
    delivered_at = int(time.time()) - 60
    assert post(client, status(row.provider_message_id, "delivered", at=delivered_at)).status_code == 200
    assert post(client, status(row.provider_message_id, "read")).status_code == 200
    late = post(client, status(row.provider_message_id, "delivered", at=delivered_at + 1))  # late, out of order
    row.refresh_from_db()
    assert late.status_code == 200 and late.content == b"duplicate: 1\n"
    assert row.status == "DELIVERED" and row.delivered_at.timestamp() == delivered_at and row.opened_at
    assert callbacks.since_start() == {"applied": 2, "duplicate": 1}


def test_a_read_receipt_before_the_delivery_report_says_delivered_too(client, row):
    read_at = int(time.time()) - 30
    assert post(client, status(row.provider_message_id, "read", at=read_at)).content == b"applied: 1\n"
    assert post(client, status(row.provider_message_id, "delivered", at=read_at - 5)).content == b"duplicate: 1\n"
    row.refresh_from_db()
    assert row.status == "DELIVERED" and row.delivered_at.timestamp() == row.opened_at.timestamp() == read_at


def test_the_same_callback_again_is_a_replay_and_an_old_one_is_refused(client, row, callbacks):
    body = status(row.provider_message_id, "failed", error=131026)
    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 409
    old = status(row.provider_message_id, "read", at=int(time.time()) - 8 * 24 * 3600)
    assert post(client, old).status_code == 409
    row.refresh_from_db()
    assert row.status == "REJECTED" and "131026" in row.error_message
    assert callbacks.since_start() == {"applied": 1, "refused_replay": 2}


def test_forged_and_unsigned_bodies_are_never_read(client, row, callbacks):
    body = status(row.provider_message_id, "failed", error=131026)
    assert post(client, body, signature="sha256=" + "ab" * 32).status_code == 403
    assert post(client, body, signature="").status_code == 403
    assert post(client, body, signature=meta.signed(body + b"\n")).status_code == 403
    row.refresh_from_db()
    assert row.status == "SENT"
    assert callbacks.since_start() == {"refused_forged": 2, "refused_unsigned": 1}


def test_an_inbound_message_opens_the_window(client, callbacks):
    value = {"messages": [{"from": "254712345678", "id": "wamid.in", "timestamp": str(int(time.time())),
                           "type": "text", "text": {"body": "Niko nyumbani"}}]}
    assert post(client, meta.envelope(value)).content == b"applied: 1\n"
    assert WhatsAppContact.objects.get(phone_number=PHONE).last_inbound_at > timezone.now() - timedelta(minutes=1)
    assert post(client, meta.envelope(value)).content == b"duplicate: 1\n"  # the same message again changes nothing


def test_signed_but_unusable_bodies_are_acknowledged_not_crashed_on(client, db, callbacks):
    assert post(client, b"not json").content.startswith(b"unknown_message")
    assert post(client, b'{"object": "whatsapp_business_account", "entry": []}').content.startswith(b"duplicate")
    unknown = post(client, status("wamid.nobody", "delivered"))
    assert (unknown.status_code, unknown.content) == (200, b"unknown_message: 1\n")
    assert post(client, meta.envelope({"statuses": [{"status": "delivered"}], "messages": [{"from": "x"}]})).content \
        == b"unknown_message: 2\n"
