"""The email channel: Django's email backend (SMTP, or an ESP through django-anymail)."""
from __future__ import annotations

from django.conf import settings

from consumers.consent import KeyKind
from consumers.delivery import LoggedChannel
from consumers.email import errors
from consumers.email.compose import RenderedEmail, message_id, render_email, storage_dir_problem
from consumers.email.models import EmailLog
from consumers.email.notifications import EMAILS
from consumers.email.settings import email_settings
from consumers.email.transports import transport
from consumers.events import InboundEvent
from consumers.languages import choose
from consumers.notifications import Notification
from consumers.providers import PermanentError, Sent


def provider_name() -> str:
    if "anymail" in settings.EMAIL_BACKEND:
        return settings.EMAIL_BACKEND.split(".")[2]  # anymail.backends.<esp>.EmailBackend
    if "gmail" in settings.EMAIL_HOST:
        return "gmail"
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)
    return backend[-2] if backend[-1] == "EmailBackend" else backend[-1]


PREVIEW_RECIPIENT = "preview@chesanto.local"


class EmailChannel(LoggedChannel):
    name = "email"
    consent_key_kind = KeyKind.ADDRESS
    label = "email"
    settings = email_settings
    settings_prefix = "EMAIL"
    template_extensions = (".html", ".txt")
    log_model = EmailLog
    notifications = EMAILS

    def __init__(self):
        self.provider = provider_name()
        self.transport = transport(email_settings.EMAIL_TIMEOUT)  # one open connection, reused across messages

    def settings_problems(self) -> list[str]:
        problem = storage_dir_problem(email_settings.REPORTS_STORAGE_DIR)
        return [f"{problem}; set it to the absolute directory the report files are written to, "
                "or leave it empty (report emails are then dead-lettered)"] if problem else []

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict:
        return {"subject": "", "context_data": event.data.masked(), "provider": self.provider}

    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> tuple[RenderedEmail, str]:
        return (render_email(notification, event.data, recipient, language=choose(notification, event.data, recipient)),
                message_id(event.id, notification.name, recipient))

    def preview(self, notification: Notification, data):
        from consumers.template_preview import Preview

        email = render_email(notification, data, PREVIEW_RECIPIENT, attach=False,
                             language=choose(notification, data, PREVIEW_RECIPIENT))
        return Preview(self.name, subject=email.subject, html=email.html, text=email.text)

    def describe(self, message: tuple[RenderedEmail, str], entry: EmailLog) -> None:
        entry.subject = message[0].subject[:255]
        # The language it went in, beside the event's data (whose `language` is the one asked for, if any).
        entry.context_data = {**(entry.context_data or {}), "language_used": message[0].language.value}

    def send(self, message: tuple[RenderedEmail, str], recipient: str, entry: EmailLog) -> Sent:
        rendered, msg_id = message
        try:
            return self.transport.send(rendered, recipient, msg_id)
        except PermanentError:
            raise
        except Exception as exc:  # noqa: BLE001 - every provider error is classified, none is lost
            self.transport.close()
            raise errors.classify(exc) from exc

    def close(self) -> None:
        self.transport.close()
