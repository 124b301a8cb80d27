"""Africa's Talking delivery reports: a secret in the URL, an optional IP allow-list."""
from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.http import HttpRequest

pytestmark = pytest.mark.integration

SECRET = "Zq4-at-callback-secret_for-tests"
URL = f"/webhooks/africastalking/delivery/{SECRET}/"
AT_NETWORK = "196.201.214.0/24"  # an example allow-list entry


@pytest.fixture(autouse=True)
def at_settings(settings):
    settings.SMS_WEBHOOK_SECRET = SECRET
    settings.SMS_WEBHOOK_ALLOWED_IPS = []
    settings.WEBHOOK_PROXY_COUNT = 0
    return settings


def report(message_id: str, status: str, **extra: str) -> dict[str, str]:
    """A delivery report's form fields, as Africa's Talking posts them."""
    return {"id": message_id, "status": status, "phoneNumber": "+254712345678", "networkCode": "63902",
            "retryCount": "0", **extra}


def new_id() -> str:
    return "ATPid_" + uuid.uuid4().hex


def test_success_marks_the_log_delivered_once(client, sms_log, callbacks):
    message_id = new_id()
    row = sms_log("africastalking", message_id)
    assert client.post(URL, report(message_id, "Buffered")).status_code == 200  # still SENT: nothing to change
    assert client.post(URL, report(message_id, "Success")).status_code == 200
    row.refresh_from_db()
    assert row.status == "DELIVERED"
    delivered_at = row.delivered_at
    # The same status again after a network retry (another retryCount): idempotent.
    assert client.post(URL, report(message_id, "Success", retryCount="1")).status_code == 200
    assert client.post(URL, report(message_id, "Sent")).status_code == 200  # late and lower: ignored
    row.refresh_from_db()
    assert row.status == "DELIVERED" and row.delivered_at == delivered_at
    assert callbacks.since_start("africastalking") == {"applied": 1, "duplicate": 3}


def test_an_identical_report_again_is_a_replay(client, sms_log, callbacks):
    message_id = new_id()
    sms_log("africastalking", message_id)
    fields = report(message_id, "Failed", failureReason="DeliveryFailure")
    assert client.post(URL, fields).status_code == 200
    assert client.post(URL, fields).status_code == 409
    assert callbacks.since_start("africastalking") == {"applied": 1, "refused_replay": 1}


def test_failed_and_rejected_keep_the_reason(client, sms_log):
    failed, rejected = new_id(), new_id()
    failed_row, rejected_row = sms_log("africastalking", failed), sms_log("africastalking", rejected)
    client.post(URL, report(failed, "Failed", failureReason="AbsentSubscriber"))
    client.post(URL, report(rejected, "Rejected", failureReason="UserInBlackList"))
    failed_row.refresh_from_db()
    rejected_row.refresh_from_db()
    assert (failed_row.status, failed_row.error_message) == ("UNDELIVERED", "Africa's Talking Failed: AbsentSubscriber (network 63902)")
    assert (rejected_row.status, rejected_row.error_message) == ("REJECTED", "Africa's Talking Rejected: UserInBlackList (network 63902)")


def test_a_json_report_is_read_too(client, sms_log):
    message_id = new_id()
    row = sms_log("africastalking", message_id)
    response = client.post(URL, json.dumps(report(message_id, "Success")), content_type="application/json")
    row.refresh_from_db()
    assert response.status_code == 200 and row.status == "DELIVERED"


def test_a_wrong_or_missing_url_secret_is_refused(client, sms_log, callbacks):
    message_id = new_id()
    row = sms_log("africastalking", message_id)
    wrong = client.post("/webhooks/africastalking/delivery/guessed-secret/", report(message_id, "Success"))
    missing = client.post("/webhooks/africastalking/delivery/", report(message_id, "Success"))
    row.refresh_from_db()
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert row.status == "SENT"
    assert callbacks.since_start("africastalking") == {"refused_forged": 1, "refused_unsigned": 1}


def test_without_a_configured_secret_the_endpoint_is_off(client, db, at_settings, callbacks):
    at_settings.SMS_WEBHOOK_SECRET = ""
    assert client.post(URL, report(new_id(), "Success")).status_code == 404
    assert client.post("/webhooks/africastalking/delivery/", report(new_id(), "Success")).status_code == 404
    assert callbacks.since_start("africastalking") == {"refused_unsigned": 2}


def test_a_caller_outside_the_allow_list_is_refused(client, sms_log, at_settings, callbacks):
    at_settings.SMS_WEBHOOK_ALLOWED_IPS = [AT_NETWORK, "2001:db8::/32"]
    message_id = new_id()
    row = sms_log("africastalking", message_id)
    outside = client.post(URL, report(message_id, "Success"), REMOTE_ADDR="203.0.113.9")
    # Without WEBHOOK_PROXY_COUNT, X-Forwarded-For is whatever the caller wrote: ignored.
    spoofed = client.post(URL, report(message_id, "Success"), REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="196.201.214.7")
    row.refresh_from_db()
    assert (outside.status_code, spoofed.status_code, row.status) == (403, 403, "SENT")
    inside = client.post(URL, report(message_id, "Success"), REMOTE_ADDR="196.201.214.7")
    row.refresh_from_db()
    assert inside.status_code == 200 and row.status == "DELIVERED"
    assert callbacks.since_start("africastalking") == {"refused_ip": 2, "applied": 1}


def test_the_ip_check_comes_before_the_secret(client, db, at_settings, callbacks):
    at_settings.SMS_WEBHOOK_ALLOWED_IPS = [AT_NETWORK]
    response = client.post("/webhooks/africastalking/delivery/guessed-secret/", report(new_id(), "Success"), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert callbacks.since_start("africastalking") == {"refused_ip": 1}


def test_behind_a_proxy_the_address_it_saw_is_checked(client, sms_log, at_settings, callbacks):
    at_settings.SMS_WEBHOOK_ALLOWED_IPS = [AT_NETWORK]
    at_settings.WEBHOOK_PROXY_COUNT = 1
    message_id = new_id()
    sms_log("africastalking", message_id)
    proxy = "10.0.0.2"
    # The proxy appends the address it saw; anything to its left came from the caller.
    forged_prefix = client.post(URL, report(message_id, "Success"), REMOTE_ADDR=proxy,
                                HTTP_X_FORWARDED_FOR="196.201.214.7, 203.0.113.9")
    no_header = client.post(URL, report(message_id, "Success"), REMOTE_ADDR=proxy)
    through_proxy = client.post(URL, report(message_id, "Success"), REMOTE_ADDR=proxy,
                                HTTP_X_FORWARDED_FOR="196.201.214.7")
    assert [r.status_code for r in (forged_prefix, no_header, through_proxy)] == [403, 403, 200]
    assert callbacks.since_start("africastalking") == {"refused_ip": 2, "applied": 1}


def test_unknown_message_is_acknowledged(client, db, callbacks):
    assert client.post(URL, report(new_id(), "Success")).status_code == 200
    assert callbacks.since_start("africastalking") == {"unknown_message": 1}


def test_only_post(client, db):
    assert client.get(URL).status_code == 405


def test_the_url_secret_never_reaches_the_logs(client, sms_log, caplog):
    """Django logs the path of every 4xx (django.request): the secret segment is masked there,
    for the right secret and a wrong guess alike."""
    guess = "Guessed-secret-7b1c"
    message_id = new_id()
    sms_log("africastalking", message_id)
    with caplog.at_level(logging.INFO):
        answers = [
            client.post(f"/webhooks/africastalking/delivery/{guess}/", report(message_id, "Success")).status_code,
            client.post(URL, report(message_id, "Success")).status_code,
            client.post(URL, report(message_id, "Success")).status_code,  # a replay
            client.post(URL, "{not json", content_type="application/json").status_code,  # bad data
            client.get(URL).status_code,  # not POST: answered by a decorator
            client.post(URL + "extra/", report(message_id, "Success")).status_code,  # no view: Django's 404
        ]
    assert answers == [403, 200, 409, 200, 405, 404]
    about_path = [r for r in caplog.records if "africastalking/delivery/" in r.getMessage()]
    assert {r.name for r in about_path} == {"django.request"} and len(about_path) == 4  # 403, 409, 405, 404
    assert all("africastalking/delivery/********/" in r.getMessage() for r in about_path)
    for record in caplog.records:
        written = " ".join([record.getMessage(), str(record.msg), repr(record.args)])
        assert SECRET not in written and guess not in written, record.name
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            assert SECRET not in request.get_full_path() + repr(request.META) and guess not in request.get_full_path()
