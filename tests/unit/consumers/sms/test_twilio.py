"""The Twilio provider against the local server that speaks its API."""
from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from chesanto_comms.embedded.sms import Outcome, TwilioServer
from consumers.providers import PermanentError, TransientError
from consumers.sms.providers.base import SmsConfigError
from consumers.sms.providers.twilio import TwilioProvider, verdict_for_code
from tests.unit.consumers.sms.conftest import provider_for

OK = "+254712345678"


def test_request_shape(twilio, twilio_server):
    call = twilio.build_request(OK, "Chesanto: hello")
    assert call.url == f"{twilio_server.url}/2010-04-01/Accounts/{twilio_server.username}/Messages.json"
    assert call.data == {"To": OK, "From": "CHESANTO", "Body": "Chesanto: hello"}
    assert call.auth == (twilio_server.username, twilio_server.api_key)


def test_status_callback_is_requested_when_the_public_url_is_known(twilio, settings):
    settings.WEBHOOK_PUBLIC_URL = "https://comms.example/"
    call = twilio.build_request(OK, "Chesanto: hello")
    assert call.data["StatusCallback"] == "https://comms.example/webhooks/twilio/status/"


def test_twilio_needs_a_sender():
    with pytest.raises(SmsConfigError, match="SMS_SENDER_ID is empty"):
        TwilioProvider(api_key="token", username="AC123", sender_id="")


def test_sent_sms_reaches_the_server_with_the_documented_fields(twilio, twilio_server):
    sent = twilio.send(OK, "Chesanto: 482913 is your login code.")
    assert sent.provider == "twilio" and sent.provider_message_id.startswith("SM") and len(sent.provider_message_id) == 34
    assert (sent.status, sent.cost, sent.currency) == ("queued", None, "USD")  # Twilio prices later
    (request,) = twilio_server.to(OK)
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.username}/Messages.json"
    user, _, password = base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
    assert (user, password) == (twilio_server.username, twilio_server.api_key)
    assert request.form == {"To": OK, "From": "CHESANTO", "Body": "Chesanto: 482913 is your login code."}


def test_negative_price_is_a_cost():
    with TwilioServer(price="-0.0500") as server:
        provider = provider_for(server, TwilioProvider)
        sent = provider.send(OK, "x")
        provider.close()
    assert (sent.cost, sent.currency) == (Decimal("0.05"), "USD")


def test_connections_are_reused(twilio, twilio_server):
    for _ in range(3):
        twilio.send(OK, "Chesanto: hello")
    assert len(twilio_server.connections) == 1


@pytest.mark.parametrize("number, code", [
    ("+15005550001", 21211),  # Twilio's magic test numbers
    ("+15005550009", 21614),
    ("+15005550004", 21610),
    ("+15005550002", 21612),
    ("+254700021211", 21211),
])
def test_invalid_numbers_are_rejected_with_twilios_message(twilio, number, code):
    with pytest.raises(PermanentError, match=f"HTTP 400 error {code}: ") as caught:
        twilio.send(number, "x")
    assert caught.value.status == "REJECTED"


def test_invalid_number_error_quotes_the_api(twilio):
    with pytest.raises(PermanentError, match=r"The 'To' number \+15005550001 is not a valid phone number"):
        twilio.send("+15005550001", "x")


@pytest.mark.parametrize("number", ["+15005550003", "+254700021606"])  # geo permissions, sender: ours to fix
def test_account_configuration_errors_are_transient(twilio, number):
    with pytest.raises(TransientError):
        twilio.send(number, "x")


@pytest.mark.parametrize("number, match", [("+254700000429", "HTTP 429 error 20429"), ("+254700000500", "HTTP 500 error 20500"),
                                           ("+254700000503", "HTTP 503 error 20500")])
def test_rate_limit_and_server_errors_are_transient(twilio, number, match):
    with pytest.raises(TransientError, match=match):
        twilio.send(number, "x")


def test_wrong_auth_token_is_transient(twilio_server):
    provider = provider_for(twilio_server, TwilioProvider, api_key="wrong")
    with pytest.raises(TransientError, match="HTTP 401 error 20003"):
        provider.send(OK, "x")


def test_failed_at_creation_is_classified_by_its_error_code(twilio):
    with pytest.raises(PermanentError, match="status failed error 30006") as caught:
        twilio.send("+254700030006", "x")
    assert caught.value.status == "REJECTED"
    with pytest.raises(TransientError, match="status failed error 30003"):
        twilio.send("+254700030003", "x")


@pytest.mark.parametrize("code, http_status, retry, status", [
    (21211, 400, False, "REJECTED"),
    (21614, 400, False, "REJECTED"),
    (21610, 400, False, "REJECTED"),
    (20429, 429, True, "FAILED"),
    (30003, None, True, "FAILED"),  # delivery status codes, for the status-callback webhook
    (30006, None, False, "REJECTED"),
    (29999, 503, True, "FAILED"),  # unknown code: the HTTP status decides
    (29999, 404, False, "FAILED"),
    (29999, None, False, "FAILED"),
])
def test_error_code_table(code, http_status, retry, status):
    verdict = verdict_for_code(code, http_status)
    assert (verdict.retry, verdict.status) == (retry, status)


def test_slow_provider_times_out_as_transient(twilio_server):
    twilio_server.script(OK, Outcome(delay=2.0))
    provider = provider_for(twilio_server, TwilioProvider, timeout=0.2)
    with pytest.raises(TransientError, match="no answer within SMS_TIMEOUT"):
        provider.send(OK, "x")
