"""Classifying email provider errors as transient (retry later) or permanent (give up now)."""
from __future__ import annotations

import smtplib
import socket

from consumers.delivery_log import DeliveryStatus
from consumers.providers import PermanentError, TransientError

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


def classify(exc: Exception) -> Exception:
    """Turn a provider exception into TransientError / PermanentError (returned, not raised)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in exc.recipients.items())
        if all(400 <= code < 500 for code in codes):
            return TransientError(f"SMTP recipient deferred: {detail}")
        return PermanentError(f"SMTPRecipientsRefused: {detail}", status=DeliveryStatus.FAILED)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__}: {exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
        if 400 <= exc.smtp_code < 500 or exc.smtp_code in SMTP_AUTH_CODES:
            return TransientError(text, crowded=is_crowded(exc))
        return PermanentError(text, status=DeliveryStatus.FAILED)
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError)):
        return TransientError(f"{type(exc).__name__}: {exc}")
    anymail = _classify_anymail(exc)
    if anymail is not None:
        return anymail
    return PermanentError(f"{type(exc).__name__}: {exc}", status=DeliveryStatus.FAILED)


def _classify_anymail(exc: Exception) -> Exception | None:
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # anymail is optional at run time
        return None
    if isinstance(exc, AnymailRecipientsRefused):
        return PermanentError(f"ESP rejected the recipient: {exc}", status=DeliveryStatus.REJECTED)
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status is None or status == 429 or status >= 500:
            return TransientError(f"ESP error {status}: {exc}")
        return PermanentError(f"ESP error {status}: {exc}", status=DeliveryStatus.FAILED)
    return None
