"""The Africa's Talking provider against the local server that speaks its API."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chesanto_comms.embedded.sms import Outcome
from consumers.providers import PermanentError, TransientError
from consumers.sms.providers.africastalking import RECIPIENT_STATUS, AfricasTalkingProvider
from tests.unit.consumers.sms.conftest import provider_for

OK = "+254712345678"


def test_request_shape(africastalking):
    call = africastalking.build_request(OK, "Chesanto: hello")
    assert call.url == f"{africastalking.base_url}/version1/messaging"
    assert call.data == {"username": "chesanto", "to": OK, "message": "Chesanto: hello", "from": "CHESANTO"}
    assert call.headers == {"apiKey": "at-test-key", "Accept": "application/json"}
    assert call.auth is None


def test_without_a_sender_id_from_is_left_out():
    provider = AfricasTalkingProvider(api_key="k", username="chesanto", sender_id="")
    assert "from" not in provider.build_request(OK, "x").data


def test_base_url_default_sandbox_and_override():
    assert AfricasTalkingProvider(api_key="k", username="chesanto").base_url == "https://api.africastalking.com"
    assert AfricasTalkingProvider(api_key="k", username="sandbox").base_url == "https://api.sandbox.africastalking.com"
    assert AfricasTalkingProvider(api_key="k", username="sandbox", base_url="http://127.0.0.1:9/").base_url == "http://127.0.0.1:9"


def test_sent_sms_reaches_the_server_with_the_documented_fields(africastalking, at_server):
    sent = africastalking.send(OK, "Chesanto: 482913 is your login code.")
    assert sent.provider == "africastalking" and sent.provider_message_id.startswith("ATXid_")
    assert (sent.cost, sent.currency, sent.status) == (Decimal("0.80"), "KES", "Success")
    assert sent.raw["SMSMessageData"]["Message"] == "Sent to 1/1 Total Cost: KES 0.8000"
    (request,) = at_server.to(OK)
    assert (request.method, request.path) == ("POST", "/version1/messaging")
    assert request.headers["apikey"] == "at-test-key" and request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {"username": "chesanto", "to": OK, "message": "Chesanto: 482913 is your login code.", "from": "CHESANTO"}


def test_unicode_text_arrives_intact_and_costs_per_segment(africastalking, at_server):
    text = "Chesanto: asante Wanjirũ \U0001F35E " + "mkate " * 10  # UCS-2, over 70 units: 2 parts
    sent = africastalking.send(OK, text)
    assert sent.cost == Decimal("1.60")
    assert at_server.to(OK)[0].form["message"] == text


def test_connections_are_reused(africastalking, at_server):
    for _ in range(3):
        africastalking.send(OK, "Chesanto: hello")
    assert len(at_server.requests) == 3 and len(at_server.connections) == 1


@pytest.mark.parametrize("code", [100, 101, 102])
def test_success_codes(africastalking, code):
    assert africastalking.send(f"+254700000{code}", "x").provider_message_id.startswith("ATXid_")


@pytest.mark.parametrize("code, name, kind, status", [
    (401, "RiskHold", TransientError, None),
    (402, "InvalidSenderId", TransientError, None),
    (403, "InvalidPhoneNumber", PermanentError, "REJECTED"),
    (404, "UnsupportedNumberType", PermanentError, "REJECTED"),
    (405, "InsufficientBalance", TransientError, None),
    (406, "UserInBlacklist", PermanentError, "REJECTED"),
    (407, "CouldNotRoute", TransientError, None),
    (409, "DoNotDisturbRejection", PermanentError, "REJECTED"),
    (500, "InternalServerError", TransientError, None),
    (501, "GatewayError", TransientError, None),
    (502, "RejectedByGateway", PermanentError, "REJECTED"),
])
def test_recipient_status_codes_are_classified(africastalking, code, name, kind, status):
    with pytest.raises(kind, match=f"statusCode {code} {name}") as caught:
        africastalking.send(f"+254700000{code}", "x")
    assert getattr(caught.value, "status", None) == status


def test_the_table_covers_every_documented_failure_code():
    assert set(RECIPIENT_STATUS) == {401, 402, 403, 404, 405, 406, 407, 409, 500, 501, 502}


def test_unknown_status_code_is_permanent_failed(africastalking, at_server):
    at_server.script(OK, Outcome(code=499))
    with pytest.raises(PermanentError, match="unknown statusCode") as caught:
        africastalking.send(OK, "x")
    assert caught.value.status == "FAILED"


def test_unapproved_sender_id_answer_without_recipients_is_transient(at_server):
    provider = provider_for(at_server, AfricasTalkingProvider, sender_id="NOT-OURS")
    with pytest.raises(TransientError, match="InvalidSenderId"):
        provider.send(OK, "x")


def test_wrong_api_key_is_transient_and_says_what_to_check(at_server):
    provider = provider_for(at_server, AfricasTalkingProvider, api_key="wrong")
    with pytest.raises(TransientError, match="HTTP 401.*SMS_API_KEY.*The supplied authentication is invalid"):
        provider.send(OK, "x")
    assert at_server.requests[0].status == 401


@pytest.mark.parametrize("http_status, kind", [(429, TransientError), (500, TransientError), (503, TransientError),
                                               (400, PermanentError), (408, PermanentError)])
def test_http_errors(africastalking, at_server, http_status, kind):
    at_server.script(OK, Outcome(http_status=http_status))
    with pytest.raises(kind, match=f"HTTP {http_status}"):
        africastalking.send(OK, "x")


def test_slow_provider_times_out_as_transient(at_server):
    at_server.script(OK, Outcome(delay=2.0))
    provider = provider_for(at_server, AfricasTalkingProvider, timeout=0.2)
    with pytest.raises(TransientError, match="no answer within SMS_TIMEOUT=0.2s"):
        provider.send(OK, "x")


def test_provider_down_is_transient(at_server):
    provider = provider_for(at_server, AfricasTalkingProvider)
    at_server.stop()
    with pytest.raises(TransientError, match="ConnectionError"):
        provider.send(OK, "x")
