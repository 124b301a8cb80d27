"""How an email reaches its provider, decided once from Django's EMAIL_BACKEND.

- Django's SMTP backend: the connection is opened by that backend (host, port, TLS/SSL, login,
  timeout: Django's own settings), and the message goes as the bytes consumers/email/mime.py
  builds, straight to smtplib's sendmail: no EmailMessage, no stdlib generator per message.
- Any other backend (an ESP through django-anymail, locmem in tests, console): Django's
  EmailMultiAlternatives through that backend, which reports the ESP's message id and status.
"""
from __future__ import annotations

import smtplib
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from consumers.delivery_log import DeliveryStatus
from consumers.email import mime
from consumers.email.compose import RenderedEmail
from consumers.providers import PermanentError, Sent

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class Transport(Protocol):
    def send(self, rendered: RenderedEmail, recipient: str, message_id: str) -> Sent:
        """Deliver or raise (smtplib / anymail / OSError exceptions: consumers/email/errors.py classifies)."""

    def close(self) -> None: ...


class _BackendConnection:
    """One open connection of Django's configured backend, reopened after the server dropped it."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.backend = None

    def open(self):
        if self.backend is None:
            self.backend = get_connection(fail_silently=False, timeout=self.timeout)
            self.backend.open()
        return self.backend

    def close(self) -> None:
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
                pass
            self.backend = None


def send_one(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """smtplib's sendmail for one ASCII recipient and a 7-bit message, without its address parsing
    (a fifth of the consumer's SMTP time): MAIL, RCPT, DATA, raising what sendmail raises."""
    if not (sender.isascii() and recipient.isascii()):
        smtp.sendmail(sender, [recipient], data)  # SMTPUTF8 and the rest: smtplib's own way
        return
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.docmd("MAIL", f"FROM:<{sender}>")
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = smtp.docmd("RCPT", f"TO:<{recipient}>")
    if code not in (250, 251):
        _abandon(smtp, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = smtp.data(data)
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    """As sendmail does after a refusal: 421 means the server is closing; anything else, RSET."""
    if code == 421:
        smtp.close()
    else:
        smtp._rset()


class SmtpTransport:
    def __init__(self, timeout: float):
        self.connection = _BackendConnection(timeout)
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.sender = mime.parseaddr(self.from_email)[1]

    def send(self, rendered: RenderedEmail, recipient: str, message_id: str) -> Sent:
        data = mime.message_bytes(from_email=self.from_email, to=recipient, subject=rendered.subject,
                                  text=rendered.text, html=rendered.html, message_id=message_id,
                                  attachments=rendered.attachments, headers=rendered.headers)
        try:
            send_one(self.connection.open().connection, self.sender, recipient, data)
        except smtplib.SMTPServerDisconnected:
            # A kept-open connection the server timed out is not a delivery failure: reconnect once.
            self.connection.close()
            send_one(self.connection.open().connection, self.sender, recipient, data)
        return Sent(provider_message_id=message_id)

    def close(self) -> None:
        self.connection.close()


class BackendTransport:
    def __init__(self, timeout: float):
        self.connection = _BackendConnection(timeout)

    def send(self, rendered: RenderedEmail, recipient: str, message_id: str) -> Sent:
        email = EmailMultiAlternatives(subject=rendered.subject, body=rendered.text, from_email=settings.DEFAULT_FROM_EMAIL,
                                       to=[recipient], headers={"Message-ID": message_id, **dict(rendered.headers)},
                                       connection=self.connection.open())
        email.attach_alternative(rendered.html, "text/html")
        for path in rendered.attachments:
            email.attach_file(str(path))
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPServerDisconnected:
            self.connection.close()
            email.connection = self.connection.open()
            email.send(fail_silently=False)
        status = getattr(email, "anymail_status", None)
        if status is not None and status.status and status.status <= {"rejected", "invalid"}:
            raise PermanentError(f"ESP status {sorted(status.status)}", status=DeliveryStatus.REJECTED)
        return Sent(provider_message_id=status.message_id if status is not None and status.message_id else message_id)

    def close(self) -> None:
        self.connection.close()


def transport(timeout: float) -> Transport:
    return (SmtpTransport if settings.EMAIL_BACKEND == SMTP_BACKEND else BackendTransport)(timeout)
