"""Twilio status callbacks: signed with X-Twilio-Signature, applied once, forward only."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.webhooks.conftest import twilio_signature

pytestmark = pytest.mark.integration

TOKEN = "twilio-auth-token-for-tests"
PATH = "/webhooks/twilio/status/"
SEEN_URL = "http://testserver" + PATH  # what Django's test client makes the request URL


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.SMS_PROVIDER, settings.SMS_API_KEY, settings.SMS_USERNAME = "twilio", TOKEN, "AC" + "0" * 32
    settings.WEBHOOK_PUBLIC_URL = ""
    return settings


def callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    """A status callback's fields, as Twilio posts them."""
    return {
        "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "From": "CHESANTO", "To": "+254712345678",
        "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status, **extra,
    }


def post(client, params: dict[str, str], *, url: str = SEEN_URL, token: str = TOKEN, signature: str | None = None):
    headers = {} if signature == "" else {"HTTP_X_TWILIO_SIGNATURE": signature or twilio_signature(token, url, params)}
    return client.post(PATH, params, **headers)


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def test_delivered_marks_the_log_delivered_once(client, sms_log, callbacks):
    sid = new_sid()
    row = sms_log("twilio", sid)
    sent_at_send = row.delivered_at

    first = post(client, callback(sid, "delivered"))
    row.refresh_from_db()
    assert first.status_code == 200
    assert row.status == "DELIVERED" and row.delivered_at > sent_at_send
    delivered_at = row.delivered_at

    # The same news again, in a different callback (Twilio adds the carrier's done date): no change.
    again = post(client, callback(sid, "delivered", RawDlrDoneDate="2611212330"))
    # A late "sent" arriving after "delivered" does not move the status back.
    late = post(client, callback(sid, "sent"))
    row.refresh_from_db()
    assert (again.status_code, late.status_code) == (200, 200)
    assert row.status == "DELIVERED" and row.delivered_at == delivered_at
    assert callbacks.since_start("twilio") == {"applied": 1, "duplicate": 2}


def test_an_identical_callback_again_is_a_replay(client, sms_log, callbacks):
    sid = new_sid()
    row = sms_log("twilio", sid)
    params = callback(sid, "undelivered", ErrorCode="30003")
    assert post(client, params).status_code == 200
    replayed = post(client, params)
    row.refresh_from_db()
    assert replayed.status_code == 409
    assert row.status == "UNDELIVERED"
    assert "30003" in row.error_message and "Unreachable destination handset" in row.error_message
    assert callbacks.since_start("twilio") == {"applied": 1, "refused_replay": 1}


def test_failed_records_twilios_error(client, sms_log):
    sid = new_sid()
    row = sms_log("twilio", sid)
    assert post(client, callback(sid, "failed", ErrorCode="30006")).status_code == 200
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.error_message == "Twilio failed, error 30006: Landline or unreachable carrier"


def test_unsigned_and_forged_callbacks_are_refused(client, sms_log, callbacks):
    sid = new_sid()
    row = sms_log("twilio", sid)
    params = callback(sid, "delivered")
    unsigned = post(client, params, signature="")
    wrong_token = post(client, params, token="not-the-auth-token")
    other_url = post(client, params, url="http://testserver/somewhere/else/")
    tampered = client.post(PATH, {**params, "MessageStatus": "failed"},
                           HTTP_X_TWILIO_SIGNATURE=twilio_signature(TOKEN, SEEN_URL, params))
    row.refresh_from_db()
    assert [r.status_code for r in (unsigned, wrong_token, other_url, tampered)] == [403, 403, 403, 403]
    assert row.status == "SENT"
    assert callbacks.since_start("twilio") == {"refused_unsigned": 1, "refused_forged": 3}


def test_behind_a_proxy_the_public_url_is_verified(client, sms_log, twilio_settings, callbacks):
    twilio_settings.WEBHOOK_PUBLIC_URL = "https://comms.chesanto.example/"
    sid = new_sid()
    sms_log("twilio", sid)
    public = "https://comms.chesanto.example" + PATH
    assert post(client, callback(sid, "sent"), url=public).status_code == 200
    # Twilio may sign with the default port spelled out.
    assert post(client, callback(sid, "delivered"), url="https://comms.chesanto.example:443" + PATH).status_code == 200
    # What Django itself sees is no longer what Twilio signs.
    assert post(client, callback(sid, "failed")).status_code == 403
    assert callbacks.since_start("twilio") == {"duplicate": 1, "applied": 1, "refused_forged": 1}


def test_unknown_message_is_acknowledged(client, db, callbacks):
    response = post(client, callback(new_sid(), "delivered"))
    assert response.status_code == 200
    assert callbacks.since_start("twilio") == {"unknown_message": 1}


def test_a_row_of_another_provider_is_not_touched(client, sms_log):
    sid = new_sid()
    row = sms_log("africastalking", sid)  # same id, other provider: not this callback's message
    assert post(client, callback(sid, "delivered")).content.startswith(b"unknown_message")
    row.refresh_from_db()
    assert row.status == "SENT"


def test_endpoint_is_off_unless_twilio_is_the_provider(client, db, twilio_settings, callbacks):
    twilio_settings.SMS_PROVIDER = "africastalking"
    response = post(client, callback(new_sid(), "delivered"))
    assert response.status_code == 404
    assert callbacks.since_start("twilio") == {"refused_unsigned": 1}


def test_only_post(client, db):
    assert client.get(PATH).status_code == 405
