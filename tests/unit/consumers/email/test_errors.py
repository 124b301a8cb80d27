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
