"""The email channel: Django's email backend (SMTP, or an ESP through django-anymail)."""
from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import get_connection

from consumers.delivery import LoggedChannel, Notification, PermanentError, Sent
from consumers.email import errors
from consumers.email.compose import RenderedEmail, build_message, message_id, render_email, storage_dir_problem
from consumers.email.notifications import EMAILS
from consumers.email.settings import email_settings
from consumers.events import InboundEvent
from consumers.models import EmailLog


def provider_name() -> str:
    if "anymail" in settings.EMAIL_BACKEND:
        return settings.EMAIL_BACKEND.split(".")[2]  # anymail.backends.<esp>.EmailBackend
    if "gmail" in settings.EMAIL_HOST:
        return "gmail"
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)
    return backend[-2] if backend[-1] == "EmailBackend" else backend[-1]


class EmailChannel(LoggedChannel):
    name = "email"
    settings = email_settings
    settings_prefix = "EMAIL"
    template_extensions = (".html", ".txt")
    log_model = EmailLog
    recipient_field = "recipient"
    notifications = EMAILS

    def __init__(self):
        self.connection = None  # one open backend connection, reused across messages
        self.provider = provider_name()

    def settings_problems(self) -> list[str]:
        problem = storage_dir_problem(email_settings.REPORTS_STORAGE_DIR)
        return [f"{problem}; set it to the absolute directory the report files are written to, "
                "or leave it empty (report emails are then dead-lettered)"] if problem else []

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict:
        return {"subject": "", "context_data": event.data.masked(), "provider": self.provider}

    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> tuple[RenderedEmail, str]:
        return render_email(notification, event.data, recipient), message_id(event.id, notification.name, recipient)

    def describe(self, message: tuple[RenderedEmail, str], entry: EmailLog) -> None:
        entry.subject = message[0].subject[:255]

    def send(self, message: tuple[RenderedEmail, str], recipient: str, entry: EmailLog) -> Sent:
        rendered, msg_id = message
        try:
            email = build_message(rendered, recipient, msg_id, self._connection())
            self._send(email)
        except Exception as exc:  # noqa: BLE001 - every provider error is classified, none is lost
            self._close_connection()
            raise errors.classify(exc) from exc
        status = getattr(email, "anymail_status", None)
        if status is not None and status.status and status.status <= {"rejected", "invalid"}:
            raise PermanentError(f"ESP status {sorted(status.status)}", status="REJECTED")
        return Sent(provider_message_id=(status.message_id if status is not None and status.message_id else msg_id))

    def _send(self, email) -> None:
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPServerDisconnected:
            # A kept-open connection the server timed out is not a delivery failure: reconnect once.
            self._close_connection()
            email.connection = self._connection()
            email.send(fail_silently=False)

    def _connection(self):
        if self.connection is None:
            self.connection = get_connection(fail_silently=False, timeout=email_settings.EMAIL_TIMEOUT)
            self.connection.open()
        return self.connection

    def _close_connection(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
                pass
            self.connection = None

    def close(self) -> None:
        self._close_connection()
