"""FCM v1's answers classified by the declarative table (consumers/push/fcm.py), against the local
server's FCM-shaped errors, and Retry-After read as FCM sends it."""
from __future__ import annotations

from email.utils import formatdate

import pytest
import requests

from chesanto_comms.embedded.fcm import FcmOutcome
from consumers.providers import Action, PermanentError, TransientError
from consumers.push.fcm import ERROR_CODES, FcmError, TokenRejected, retry_after
from tests.unit.consumers.push.conftest import client_for, message


def test_an_accepted_message_is_sent_with_its_fcm_name(fcm, fcm_server):
    sent = fcm.send(message("device-abc"))
    (request,) = fcm_server.to("device-abc")
    assert request.path == f"/v1/projects/{fcm_server.project_id}/messages:send"
    assert request.form == {"message": message("device-abc")}
    assert sent.provider == "fcm" and f'"{sent.provider_message_id}"' in request.answer


@pytest.mark.parametrize("token, raised, status", [
    ("unregistered-1", TokenRejected, "UNREGISTERED"),
    ("invalid-1", TokenRejected, "INVALID_TOKEN"),
    ("mismatch-1", PermanentError, "REJECTED"),
    ("apns-auth-1", PermanentError, "FAILED"),
])
def test_permanent_errors_and_which_drop_the_token(fcm, token, raised, status):
    with pytest.raises(PermanentError) as caught:
        fcm.send(message(token))
    assert type(caught.value) is raised and caught.value.status == status


@pytest.mark.parametrize("token, code", [("quota-1", "QUOTA_EXCEEDED"), ("unavailable-1", "UNAVAILABLE"),
                                         ("internal-1", "INTERNAL")])
def test_busy_or_failing_fcm_is_transient_with_its_retry_after(fcm, token, code):
    with pytest.raises(TransientError, match=code) as caught:
        fcm.send(message(token))
    assert caught.value.retry_after == (None if code == "INTERNAL" else 1.0)


def test_a_scripted_outcome_answers_as_often_as_asked(fcm, fcm_server):
    fcm_server.script("device-x", FcmOutcome("QUOTA_EXCEEDED", retry_after=7, times=1))
    with pytest.raises(TransientError) as caught:
        fcm.send(message("device-x"))
    assert caught.value.retry_after == 7.0
    assert fcm.send(message("device-x")).provider_message_id


def test_a_malformed_message_fails_without_touching_the_token(fcm):
    with pytest.raises(PermanentError) as caught:
        fcm.send(message(data={"count": 3}))  # FCM's data values are strings
    assert type(caught.value) is PermanentError and caught.value.status == "FAILED"
    assert "message.data[0].value" in str(caught.value) and "malformed" in str(caught.value)


def test_the_wrong_project_is_ours_to_fix(fcm_server, account):
    client = client_for(fcm_server, account, project_id="another-project")
    with pytest.raises(TransientError, match="PERMISSION_DENIED.*Firebase Cloud Messaging API"):
        client.send(message())


def test_every_error_code_has_a_verdict():
    assert {code: verdict.action for code, verdict in ERROR_CODES.items()} == {
        "UNREGISTERED": Action.DROP_ADDRESS, "SENDER_ID_MISMATCH": Action.FAIL, "QUOTA_EXCEEDED": Action.RETRY,
        "UNAVAILABLE": Action.RETRY, "INTERNAL": Action.RETRY, "THIRD_PARTY_AUTH_ERROR": Action.FAIL}


def _response(status: int, body: str, headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body.encode()
    response.headers.update(headers or {})
    return response


@pytest.mark.parametrize("status, body, action", [
    (400, '{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad", "details": [{"@type": '
          '"type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": "message.token"}]}]}}',
     Action.DROP_ADDRESS),
    (400, '{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "Invalid JSON payload received."}}',
     Action.FAIL),
    (502, "<html>Bad Gateway</html>", Action.RETRY),
    (418, "", Action.FAIL),
])
def test_answers_without_an_fcm_error_code_fall_back_on_status(status, body, action):
    assert FcmError.read(_response(status, body)).verdict.action is action


def test_retry_after_is_seconds_or_an_http_date():
    assert retry_after(_response(429, "", {"Retry-After": "120"})) == 120.0
    now = 1_800_000_000
    assert retry_after(_response(503, "", {"Retry-After": formatdate(now + 30, usegmt=True)}), now=now) == 30.0
    assert retry_after(_response(503, "", {"Retry-After": "soon"})) is None
    assert retry_after(_response(503, "", {"Retry-After": "\u00b2"})) is None  # a digit to str.isdigit, not to float()
    assert retry_after(_response(503, "")) is None


def test_a_stalled_fcm_is_transient(fcm_server, account):
    fcm_server.script("slow", FcmOutcome(delay=1.5))
    client = client_for(fcm_server, account, timeout=0.5)
    client.tokens.token()  # the exchange is not what times out here
    with pytest.raises(TransientError, match="no answer within PUSH_TIMEOUT=0.5s"):
        client.send(message("slow"))
