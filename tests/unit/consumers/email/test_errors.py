"""How provider errors are classified (consumers/email/errors.py), including the refusals of a
connection as one too many, which make the senders keep fewer connections."""
from __future__ import annotations

import smtplib

import pytest

from consumers.email.errors import classify
from consumers.providers import PermanentError, TransientError


@pytest.mark.parametrize("exc", [
    smtplib.SMTPConnectError(421, b"4.7.0 Error: too many connections from 10.0.0.5"),  # Postfix
    smtplib.SMTPConnectError(421, b"Service not available"),  # a refusing greeting, whatever its words
    smtplib.SMTPAuthenticationError(432, b"4.3.2 Concurrent connections limit exceeded"),  # Microsoft 365
    smtplib.SMTPSenderRefused(451, b"4.7.1 Too many connections, slow down", "shop@example.com"),
    smtplib.SMTPSenderRefused(454, b"Throttling failure: Maximum sending rate exceeded.", "shop@example.com"),  # SES
])
def test_a_refusal_as_one_connection_too_many_is_transient_and_crowded(exc):
    error = classify(exc)
    assert isinstance(error, TransientError) and error.crowded


@pytest.mark.parametrize("exc", [
    smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"4.7.1 Greylisted")}),
    smtplib.SMTPDataError(421, b"4.4.2 Timeout waiting for data"),  # 421 in a session: the server closes, no more
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    TimeoutError("timed out"),
])
def test_other_transient_errors_are_not_crowded(exc):
    error = classify(exc)
    assert isinstance(error, TransientError) and not error.crowded


def test_a_permanent_refusal_stays_permanent():
    error = classify(smtplib.SMTPSenderRefused(550, b"5.7.1 Too many connections? never", "shop@example.com"))
    assert isinstance(error, PermanentError)


def esp_error(status: int):
    """What anymail raises for an ESP's HTTP answer: a requests error (an OSError) carrying the response."""
    import requests
    from anymail.exceptions import AnymailRequestsAPIError

    response = requests.Response()
    response.status_code, response._content = status, b'{"ErrorCode": 300, "Message": "Invalid email request"}'
    return AnymailRequestsAPIError("Postmark API response %d" % status, response=response)


def test_an_esp_refusing_the_message_is_permanent_not_a_lost_connection():
    error = classify(esp_error(422))
    assert isinstance(error, PermanentError) and "ESP error 422" in str(error)


def test_an_esp_failing_or_busy_is_transient_and_was_not_sent():
    for status in (429, 503):
        error = classify(esp_error(status))
        assert isinstance(error, TransientError) and f"ESP error {status}" in str(error)
