"""Receipts: kept for the window, purged after it; concurrent copies of one callback apply once."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from consumers.sms.models import SMSLog
from consumers.webhooks import replay
from consumers.webhooks.models import WebhookReceipt

pytestmark = pytest.mark.integration

SECRET = "replay-tests-secret"
URL = f"/webhooks/africastalking/delivery/{SECRET}/"


@pytest.fixture(autouse=True)
def at_settings(settings):
    settings.SMS_WEBHOOK_SECRET, settings.SMS_WEBHOOK_ALLOWED_IPS, settings.WEBHOOK_REPLAY_WINDOW_DAYS = SECRET, [], 7


def test_digest_ignores_order_but_not_content():
    assert replay.digest(sorted({"b": "2", "a": "1"}.items())) == replay.digest(sorted({"a": "1", "b": "2"}.items()))
    assert replay.digest([("a", "1")]) != replay.digest([("a", "2")])


def test_purge_removes_only_receipts_older_than_the_window(db):
    old = WebhookReceipt.objects.create(provider="twilio", digest="a" * 64, created_at=timezone.now() - timedelta(days=8))
    recent = WebhookReceipt.objects.create(provider="twilio", digest="b" * 64, created_at=timezone.now() - timedelta(days=6))
    assert replay.purge_expired() == 1
    assert list(WebhookReceipt.objects.filter(pk__in=[old.pk, recent.pk]).values_list("pk", flat=True)) == [recent.pk]


def test_once_its_receipt_is_purged_a_replay_still_changes_nothing(client, sms_log, callbacks):
    message_id = "ATPid_" + uuid.uuid4().hex
    row = sms_log("africastalking", message_id)
    fields = {"id": message_id, "status": "Success", "phoneNumber": "+254712345678", "networkCode": "63902", "retryCount": "0"}
    client.post(URL, fields)
    client.post(URL, {**fields, "status": "Failed", "failureReason": "DeliveryFailure"})  # too late: DELIVERED stays
    WebhookReceipt.objects.update(created_at=timezone.now() - timedelta(days=30))
    replay.purge_expired()
    assert client.post(URL, fields).status_code == 200  # no longer recognisable as a replay ...
    row.refresh_from_db()
    assert row.status == "DELIVERED"  # ... but statuses only move forward
    assert callbacks.since_start("africastalking") == {"applied": 1, "duplicate": 2}


def post_at_once(reports: list[dict[str, str]]) -> list[int]:
    """Post the reports from one thread each, released together; returns the HTTP statuses."""
    start, answers = threading.Barrier(len(reports)), []

    def deliver(fields):
        try:
            start.wait()
            answers.append(Client().post(URL, fields).status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=deliver, args=(fields,)) for fields in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(answers)


def sent_sms(message_id: str) -> SMSLog:
    return SMSLog.objects.create(phone_number="+254712345678", message="m", template="dispatch_delivery_assigned",
                                 event_id=uuid.uuid4(), status="SENT", provider="africastalking", provider_message_id=message_id)


def test_simultaneous_copies_of_one_callback_apply_once(transactional_db, callbacks):
    message_id = "ATPid_" + uuid.uuid4().hex
    sent_sms(message_id)
    fields = {"id": message_id, "status": "Success", "phoneNumber": "+254712345678", "networkCode": "63902", "retryCount": "0"}
    assert post_at_once([fields] * 4) == [200, 409, 409, 409]
    assert SMSLog.objects.get(provider_message_id=message_id).status == "DELIVERED"
    assert callbacks.since_start("africastalking") == {"applied": 1, "refused_replay": 3}


def test_simultaneous_final_statuses_one_wins(transactional_db, callbacks):
    """The row lock: without it each would read SENT and overwrite the others."""
    message_id = "ATPid_" + uuid.uuid4().hex
    sent_sms(message_id)
    base = {"id": message_id, "phoneNumber": "+254712345678", "networkCode": "63902", "retryCount": "0"}
    reports = [{**base, "status": "Success"}, {**base, "status": "Failed", "failureReason": "DeliveryFailure"},
               {**base, "status": "Rejected", "failureReason": "UserInBlackList"},
               {**base, "status": "Success", "retryCount": "1"}, {**base, "status": "Failed", "failureReason": "AbsentSubscriber"}]
    assert post_at_once(reports) == [200] * 5
    assert callbacks.since_start("africastalking") == {"applied": 1, "duplicate": 4}
    assert SMSLog.objects.get(provider_message_id=message_id).status in ("DELIVERED", "UNDELIVERED", "REJECTED")
