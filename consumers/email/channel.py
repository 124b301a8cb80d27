"""The email channel: one EmailLog row per (event, template, recipient), sent at most once when final."""
from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.utils import timezone
from jinja2 import TemplateError

from consumers.channels import Channel
from consumers.email.compose import build_message, message_id, render_email
from consumers.email.notifications import EMAILS, EmailNotification
from consumers.events import InboundEvent
from consumers.models import EmailLog

log = logging.getLogger(__name__)


def provider_name() -> str:
    if "gmail" in settings.EMAIL_HOST:
        return "gmail"
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)
    return backend[-2] if backend[-1] == "EmailBackend" else backend[-1]


def sender_id(actor: str | None) -> int | None:
    """The Django user behind the event, if the actor is one."""
    if actor and actor.isdigit() and get_user_model().objects.filter(pk=int(actor)).exists():
        return int(actor)
    return None


class EmailChannel(Channel):
    name = "email"

    def __init__(self):
        self.connection = None
        self.provider = provider_name()

    def handles(self, event_type: str) -> bool:
        return event_type in EMAILS

    def domains(self) -> list[str]:
        return sorted({event_type.split(".", 1)[0] for event_type in EMAILS})

    def deliver(self, event: InboundEvent) -> None:
        for notification in EMAILS[event.type]:
            for recipient in notification.recipients(event.data):
                self._deliver_one(event, notification, recipient)

    def _deliver_one(self, event: InboundEvent, notification: EmailNotification, recipient: str) -> None:
        entry, _ = EmailLog.objects.get_or_create(
            event_id=event.id,
            template=notification.name,
            recipient=recipient,
            defaults={
                "subject": "",
                "template_version": notification.version,
                "context_data": event.data.masked(),
                "provider": self.provider,
                "sent_by_id": sender_id(event.actor),
            },
        )
        if entry.status in EmailLog.FINAL:
            log.info("event %s: %s to %s already %s; not sent again", event.id, notification.name, recipient, entry.status)
            return
        # A PENDING row is new, or left by a process that died mid-send: send (again), under
        # the same Message-ID, because at-least-once beats losing the message.
        try:
            rendered = render_email(notification, event.data)
        except TemplateError as exc:
            self._finish(entry, EmailLog.Status.FAILED, error=f"render error: {exc}")
            return
        entry.subject = rendered.subject[:255]
        msg_id = message_id(event.id, notification.name, recipient)
        try:
            self._send(build_message(rendered, recipient, msg_id, self._connection()))
        except (smtplib.SMTPException, OSError) as exc:
            self._close_connection()
            self._finish(entry, EmailLog.Status.FAILED, error=f"{type(exc).__name__}: {exc}", retried=True)
            log.warning("event %s: %s to %s failed: %s", event.id, notification.name, recipient, exc)
        else:
            entry.provider_message_id = msg_id
            self._finish(entry, EmailLog.Status.SENT)
            log.info("event %s: %s sent to %s", event.id, notification.name, recipient)

    @staticmethod
    def _finish(entry: EmailLog, status: str, error: str = "", retried: bool = False) -> None:
        entry.status = status
        entry.error_message = error
        if status == EmailLog.Status.SENT:
            entry.delivered_at = timezone.now()  # as in the seed: handed to the provider
        if retried:
            entry.retry_count += 1
        entry.save(update_fields=["status", "error_message", "delivered_at", "retry_count", "subject", "provider_message_id"])

    def _send(self, message) -> None:
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPServerDisconnected:
            # A kept-open connection the server timed out is not a delivery failure: reconnect once.
            self._close_connection()
            message.connection = self._connection()
            message.send(fail_silently=False)

    def _connection(self):
        if self.connection is None:
            self.connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
            self.connection.open()  # kept open across messages
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
