"""Classifying email provider errors as transient (retry later) or permanent (give up now)."""
from __future__ import annotations

import smtplib
import socket

from consumers.providers import (
    PermanentError,
    ProviderVerdict,
    TransientError,
    failed,
    http_verdict,
    rejected,
    transient,
)

# Authentication failures are 5xx but are ours to fix (a rotated app password), not the
# recipient's: retrying after the fix delivers the mail, so they count as transient.
SMTP_AUTH_CODES = {530, 534, 535}
# Refusals as too much at once, after which the senders keep fewer connections (consumers/sender_pool.py):
# a 421 greeting (Postfix's "421 4.7.0 Error: too many connections from …"), Microsoft 365's "432 4.3.2
# Concurrent connections limit exceeded", Amazon SES's "454 Throttling failure: Maximum sending rate exceeded".
CROWDED_TEXT = ("too many connections", "concurrent connections", "throttling")


def is_crowded(exc: smtplib.SMTPResponseException) -> bool:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return ((isinstance(exc, smtplib.SMTPConnectError) and exc.smtp_code == 421) or exc.smtp_code == 432
            or (400 <= exc.smtp_code < 500 and any(words in text.lower() for words in CROWDED_TEXT)))


def classify(exc: Exception) -> TransientError | PermanentError:
    """The exception a send raises for a provider exception (returned, not raised)."""
    verdict, detail = verdict_for(exc)
    return verdict.error(detail)


def verdict_for(exc: Exception) -> tuple[ProviderVerdict, str]:
    """What an SMTP or ESP exception means, as every channel says it, and the detail the log row keeps."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in exc.recipients.items())
        if all(400 <= code < 500 for code in codes):
            return transient("recipient deferred"), f"SMTP recipient deferred: {detail}"
        return failed("recipient refused"), f"SMTPRecipientsRefused: {detail}"
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        text = f"{type(exc).__name__}: {exc.smtp_code} {error}"
        if 400 <= exc.smtp_code < 500 or exc.smtp_code in SMTP_AUTH_CODES:
            return transient("server deferred, or our credentials", crowded=is_crowded(exc)), text
        return failed("server refused"), text
    anymail = _anymail_verdict(exc)  # before OSError: anymail's HTTP errors are requests' (OSError) too
    if anymail is not None:
        return anymail
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError)):
        return transient("connection lost or refused"), f"{type(exc).__name__}: {exc}"
    return failed("unexpected error"), f"{type(exc).__name__}: {exc}"


def _anymail_verdict(exc: Exception) -> tuple[ProviderVerdict, str] | None:
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # anymail is optional at run time
        return None
    if isinstance(exc, AnymailRecipientsRefused):
        return rejected("ESP rejected the recipient"), f"ESP rejected the recipient: {exc}"
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        verdict = transient("ESP busy or failing") if status is None else http_verdict(status, "ESP busy or failing")
        return verdict, f"ESP error {status}: {exc}"
    return None
