"""Preferences and suppression through the real pipeline: emit → relay → Kafka → `consume email` → SMTP sink.
An opted-out customer's order confirmation is SUPPRESSED and never reaches SMTP; a hard bounce reported by the
ESP's webhook suppresses the address for the next email; a critical login code still reaches an opted-out
address; lifting a suppression lets the next email through. And in eager mode (a host's own tests) the same."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from consumers import preferences
from consumers.email.models import EmailLog
from consumers.models import Suppression
from consumers.suppressions import lift
from outbox import emit
from tests.integration.webhooks.conftest import basic_auth
from tests.support.logs import final_email_log as final_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CREDENTIALS = "postmark-hook:Vb8-webhook-password"


def order(address: str, order_id: str) -> dict:
    return {"order_id": order_id, "customer_email": address, "total": "110.00",
            "items": [{"product": "Mandazi", "quantity": "11", "unit_price": "10.00"}]}


def test_an_opted_out_customer_gets_a_suppressed_row_and_no_email(pipeline, smtp_sink, unique_email):
    address = unique_email("optedout")
    preferences.set(address, "transactional", "email", False, source="api", wording="No order emails, please")
    log = final_log(emit("sales.order_confirmed", order(address, "ORD-OPT-1")))
    assert log.status == EmailLog.Status.SUPPRESSED
    assert log.error_message == "not sent: the recipient is opted out of transactional messages by email"
    # A later message of the same key arrives after it: had the first been sent, it would be in the sink.
    sentinel = final_log(emit("auth.otp_requested", {"email": address, "name": "Otieno", "code": "246810"}))
    assert sentinel.status == EmailLog.Status.SENT  # critical: sent although opted out (of transactional)
    assert [m.subject for m in smtp_sink.to(address)] == ["Your Verification Code - Chesanto Bakery"]


def test_a_critical_code_reaches_an_address_opted_out_of_everything(pipeline, smtp_sink, unique_email):
    address = unique_email("nothing")
    for category in ("transactional", "operational", "marketing"):
        preferences.set(address, category, "email", False)
    log = final_log(emit("auth.otp_requested", {"email": address, "name": "Achieng", "code": "135790"}))
    assert log.status == EmailLog.Status.SENT
    (received,) = smtp_sink.wait_for(lambda r: any(address in e.rcpt_tos for e in r)) and smtp_sink.to(address)
    assert "135790" in received.body("plain")


def test_a_hard_bounce_suppresses_the_address_and_lifting_sends_again(pipeline, smtp_sink, unique_email, client,
                                                                      settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": CREDENTIALS}
    address = unique_email("bouncer")
    first = final_log(emit("sales.order_confirmed", order(address, "ORD-B-1")))
    assert first.status == EmailLog.Status.SENT
    bounce = {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": "HardBounce", "TypeCode": 1,
              "Name": "Hard bounce", "MessageID": first.provider_message_id, "ServerID": 23, "MessageStream": "outbound",
              "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
              "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.", "Email": address,
              "From": "no-reply@chesanto.example", "BouncedAt": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}.0000000Z",
              "DumpAvailable": False, "Inactive": True, "CanActivate": True, "Subject": "x", "Metadata": {}, "Tag": ""}
    answer = client.post("/webhooks/anymail/postmark/tracking/", json.dumps(bounce), content_type="application/json",
                         HTTP_AUTHORIZATION=basic_auth(CREDENTIALS))
    assert answer.status_code == 200
    row = Suppression.objects.get(channel="email", address=address, lifted_at__isnull=True)
    assert (row.reason, row.source) == (Suppression.Reason.HARD_BOUNCE, "postmark webhook")
    assert "550 5.1.1" in row.detail

    second = final_log(emit("sales.order_confirmed", order(address, "ORD-B-2")))
    assert second.status == EmailLog.Status.SUPPRESSED
    assert "Hard bounce, postmark webhook" in second.error_message
    otp = final_log(emit("auth.otp_requested", {"email": address, "name": "X", "code": "111222"}))
    assert otp.status == EmailLog.Status.SUPPRESSED  # critical does not pass a hard bounce: the address cannot receive

    staff = get_user_model().objects.create_user("ops", "ops@chesanto.local")
    assert lift(Suppression.objects.filter(address=address), staff, "the customer fixed the mailbox") == 1
    third = final_log(emit("sales.order_confirmed", order(address, "ORD-B-3")))
    assert third.status == EmailLog.Status.SENT
    assert len(smtp_sink.to(address)) == 2  # ORD-B-1 and ORD-B-3
    row.refresh_from_db()
    assert (row.lifted_by, row.lift_reason) == (staff, "the customer fixed the mailbox")


def test_eager_delivery_applies_the_same_rules(settings, unique_email):
    settings.COMMS_EAGER_DELIVERY = ["email"]
    address = unique_email("eager")
    preferences.set(address, "transactional", "email", False)
    event_id = emit("sales.order_confirmed", order(address, "ORD-E-1"))
    assert EmailLog.objects.get(event_id=event_id).status == EmailLog.Status.SUPPRESSED
    assert mail.outbox == []
    emit("auth.otp_requested", {"email": address, "name": "X", "code": "909090"})
    assert [m.to for m in mail.outbox] == [[address]]
