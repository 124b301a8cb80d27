"""Email tracking webhooks: Postmark's documented payloads through django-anymail's own
view (basic auth, parsing, the `tracking` signal) to the EmailLog row."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from consumers.email.models import EmailLog
from tests.integration.webhooks.conftest import basic_auth

pytestmark = pytest.mark.integration

URL = "/webhooks/anymail/postmark/tracking/"
CREDENTIALS = "postmark-hook:Vb8-webhook-password"


@pytest.fixture(autouse=True)
def anymail_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": CREDENTIALS}
    return settings


def postmark_time(moment: datetime) -> str:
    """Postmark's timestamps: UTC, seven fractional digits, "Z"."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def delivery(log, at: datetime, details: str = "smtp;250 2.0.0 OK") -> dict:
    return {"RecordType": "Delivery", "ServerID": 23, "MessageStream": "outbound", "MessageID": log.provider_message_id,
            "Recipient": log.recipient, "Tag": "sales_order_confirmed", "DeliveredAt": postmark_time(at),
            "Details": details, "Metadata": {}}


def bounce(log, at: datetime, kind: str = "HardBounce") -> dict:
    return {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": kind, "TypeCode": 1, "Name": "Hard bounce",
            "Tag": "sales_order_confirmed", "MessageID": log.provider_message_id, "ServerID": 23, "MessageStream": "outbound",
            "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
            "Email": log.recipient, "From": "no-reply@chesanto.example", "BouncedAt": postmark_time(at),
            "DumpAvailable": False, "Inactive": True, "CanActivate": True, "Subject": log.subject, "Metadata": {}}


def spam_complaint(log, at: datetime) -> dict:
    return {**bounce(log, at, "SpamComplaint"), "RecordType": "SpamComplaint", "ID": 42, "TypeCode": 512,
            "Name": "Spam complaint", "Description": "The subscriber explicitly marked this message as spam."}


def engagement(log, record_type: str, at: datetime, **extra) -> dict:
    return {"RecordType": record_type, "MessageStream": "outbound", "FirstOpen": record_type == "Open",
            "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
            "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X 10"},
            "Platform": "WebMail", "UserAgent": "Mozilla/5.0", "Geo": {"CountryISOCode": "KE", "City": "Nairobi"},
            "MessageID": log.provider_message_id, "Metadata": {}, "ReceivedAt": postmark_time(at),
            "Tag": "sales_order_confirmed", "Recipient": log.recipient, **extra}


def post(client, payload: dict, credentials: str | None = CREDENTIALS):
    headers = {"HTTP_AUTHORIZATION": basic_auth(credentials)} if credentials else {}
    return client.post(URL, json.dumps(payload), content_type="application/json", **headers)


def test_delivery_marks_the_log_delivered_once(client, email_log, callbacks):
    row = email_log()
    delivered = timezone.now() - timedelta(minutes=3)
    assert post(client, delivery(row, delivered)).status_code == 200
    row.refresh_from_db()
    assert row.status == "DELIVERED"
    assert row.delivered_at == delivered  # the ESP's time, replacing the time it was handed over
    # Another delivery event for the message (another time, other details): changes nothing.
    assert post(client, delivery(row, delivered + timedelta(seconds=5), details="smtp;250 queued")).status_code == 200
    row.refresh_from_db()
    assert (row.status, row.delivered_at) == ("DELIVERED", delivered)
    assert callbacks.since_start("postmark") == {"applied": 1, "duplicate": 1}


def test_an_identical_event_again_is_a_replay(client, email_log, callbacks):
    row = email_log()
    payload = delivery(row, timezone.now() - timedelta(minutes=1))
    assert post(client, payload).status_code == 200
    replayed = post(client, payload)
    assert replayed.status_code == 409
    assert callbacks.since_start("postmark") == {"applied": 1, "refused_replay": 1}


def test_a_bounce_after_delivery_wins_and_a_late_delivery_does_not_undo_it(client, email_log):
    row = email_log()
    now = timezone.now()
    post(client, delivery(row, now - timedelta(minutes=5)))
    post(client, bounce(row, now - timedelta(minutes=4)))
    post(client, delivery(row, now - timedelta(minutes=3)))
    row.refresh_from_db()
    assert row.status == "BOUNCED"
    assert row.error_message.startswith("bounced (bounced): The server was unable to deliver your message")
    assert "550 5.1.1" in row.error_message


def test_a_spam_complaint(client, email_log):
    row = email_log()
    assert post(client, spam_complaint(row, timezone.now())).status_code == 200
    row.refresh_from_db()
    assert row.status == "COMPLAINED"
    assert "(spam)" in row.error_message


def test_opens_and_clicks_keep_the_first_time(client, email_log, callbacks):
    row = email_log()
    now = timezone.now()
    post(client, engagement(row, "Open", now - timedelta(minutes=2)))
    post(client, engagement(row, "Open", now - timedelta(minutes=1)))
    post(client, engagement(row, "Open", now - timedelta(minutes=3)))  # an earlier open, reported late
    post(client, engagement(row, "Click", now - timedelta(seconds=30), OriginalLink="https://chesanto.example/orders/1"))
    post(client, engagement(row, "Click", now - timedelta(seconds=30), OriginalLink="https://chesanto.example/help"))
    row.refresh_from_db()
    assert row.opened_at == now - timedelta(minutes=3)
    assert row.clicked_at == now - timedelta(seconds=30)
    assert row.status == "SENT"  # opens and clicks do not change the status
    assert callbacks.since_start("postmark") == {"applied": 3, "duplicate": 2}


def test_missing_or_wrong_basic_auth_is_refused(client, email_log, callbacks):
    row = email_log()
    payload = delivery(row, timezone.now())
    unsigned = post(client, payload, credentials=None)
    forged = post(client, payload, credentials="postmark-hook:guessed")
    row.refresh_from_db()
    assert (unsigned.status_code, forged.status_code) == (400, 400)  # anymail's own answer
    assert row.status == "SENT"
    assert callbacks.since_start("postmark") == {"refused_unsigned": 1, "refused_forged": 1}


def test_without_a_webhook_secret_the_endpoint_is_off(client, email_log, anymail_settings, callbacks):
    anymail_settings.ANYMAIL = {}
    anymail_settings.ANYMAIL_WEBHOOK_SECRET = []
    row = email_log()
    # Anymail alone would accept this (with a warning): it carries no credentials at all.
    response = post(client, delivery(row, timezone.now()), credentials=None)
    row.refresh_from_db()
    assert response.status_code == 404 and row.status == "SENT"
    assert callbacks.since_start("postmark") == {"refused_unsigned": 1}


def test_the_flat_django_setting_works_too(client, email_log, anymail_settings):
    anymail_settings.ANYMAIL = {}
    anymail_settings.ANYMAIL_WEBHOOK_SECRET = ["old-hook:old-password", CREDENTIALS]  # rotating
    row = email_log()
    assert post(client, delivery(row, timezone.now())).status_code == 200


def test_the_environment_variable_reaches_anymail_with_each_pair_of_a_rotation(client, email_log, anymail_settings,
                                                                                monkeypatch):
    """Anymail itself never reads the environment; the app hands it what the resolver read there.
    (test_standalone_project.py checks the same through config/settings.py in a real process.)"""
    from chesanto_comms.conf import reset_cache

    anymail_settings.ANYMAIL = {}
    monkeypatch.setenv("ANYMAIL_WEBHOOK_SECRET", f"old-hook:old-password,{CREDENTIALS}")
    reset_cache()
    old, new, forged = email_log(), email_log(), email_log()
    assert post(client, delivery(old, timezone.now()), credentials="old-hook:old-password").status_code == 200
    assert post(client, delivery(new, timezone.now())).status_code == 200
    assert post(client, delivery(forged, timezone.now()), credentials="old-hook:guessed").status_code == 400
    assert [row.status for row in EmailLog.objects.filter(pk__in=[old.pk, new.pk, forged.pk]).order_by("pk")] == [
        "DELIVERED", "DELIVERED", "SENT"]


def test_an_event_older_than_the_replay_window_is_refused(client, email_log, anymail_settings, callbacks):
    anymail_settings.WEBHOOK_REPLAY_WINDOW_DAYS = 7
    row = email_log()
    response = post(client, delivery(row, timezone.now() - timedelta(days=8)))
    row.refresh_from_db()
    assert response.status_code == 409 and row.status == "SENT"
    assert callbacks.since_start("postmark") == {"refused_replay": 1}


def test_unknown_message_is_acknowledged(client, db, callbacks):
    class Stranger:
        provider_message_id, recipient = str(uuid.uuid4()), "someone@example.com"
    assert post(client, delivery(Stranger, timezone.now())).status_code == 200
    assert callbacks.since_start("postmark") == {"unknown_message": 1}


def test_only_post(client, db):
    assert client.get(URL, HTTP_AUTHORIZATION=basic_auth(CREDENTIALS)).status_code == 405


def test_a_hard_bounce_and_a_complaint_suppress_the_address_and_a_soft_bounce_does_not(client, email_log):
    from consumers.models import Suppression

    hard, complained, soft = email_log(), email_log(), email_log()
    post(client, bounce(hard, timezone.now()))
    post(client, spam_complaint(complained, timezone.now()))
    post(client, bounce(soft, timezone.now(), "SoftBounce"))
    active = dict(Suppression.objects.filter(channel="email", lifted_at__isnull=True).values_list("address", "reason"))
    assert active.get(hard.recipient) == Suppression.Reason.HARD_BOUNCE
    assert active.get(complained.recipient) == Suppression.Reason.COMPLAINT
    assert soft.recipient not in active
    post(client, bounce(hard, timezone.now() + timedelta(seconds=1)))  # reported again: still one row
    assert Suppression.objects.filter(address=hard.recipient).count() == 1
