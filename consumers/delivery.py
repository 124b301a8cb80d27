"""What every logged channel does with one message: the idempotent log row, expiry,
rendering, the provider call and the failure policy.

A channel subclasses `LoggedChannel` and supplies the log model, how to render and
how to send; providers raise `TransientError` (worth retrying: SMTP 4xx, HTTP
429/5xx, timeouts) or `PermanentError` (will fail again: SMTP 5xx, HTTP 4xx, an
invalid number). One log row exists per (event, template, recipient); once it is
final it is never sent again, which is what makes redelivery and replay safe.
"""
from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router
from django.utils import timezone
from jinja2 import TemplateError

from consumers import metrics, rendering
from consumers.channels import Channel
from consumers.events import InboundEvent
from outbox.events.base import EventSchema

log = logging.getLogger(__name__)


class TransientError(Exception):
    """The provider may accept the message later."""


class PermanentError(Exception):
    """The provider will not accept this message; `status` is the log status to record."""

    def __init__(self, message: str, status: str = "FAILED"):
        super().__init__(message)
        self.status = status


class RenderFailed(Exception):
    """A template could not be rendered for this event: a poison record for the dead-letter topic."""


@dataclass(frozen=True)
class Sent:
    provider_message_id: str = ""
    cost: Decimal | None = None
    provider: str = ""


@dataclass(frozen=True)
class Notification:
    """One message an event type produces on a channel."""

    name: str  # the log's `template` value, e.g. "auth_otp"
    template: str  # template path without extension
    recipients: Callable[[EventSchema], list[str]]
    version: int = 1
    subject: str = ""  # email only: a Jinja2 string
    extra_context: Callable[[EventSchema], dict[str, Any]] = field(default=lambda data: {})
    # Time-critical messages (an OTP) are not sent after this moment; None = never expires.
    expires: Callable[[EventSchema, datetime], datetime | None] = field(default=lambda data, emitted: None)


def recipients_from(field_name: str) -> Callable[[EventSchema], list[str]]:
    """Recipients read from a field holding one address (or number), a list of them, or None."""
    def recipients(data: EventSchema) -> list[str]:
        value = getattr(data, field_name)
        if value is None:
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]
    recipients.__name__ = f"recipients_from_{field_name}"
    return recipients


def expires_after_minutes(data: EventSchema, emitted: datetime) -> datetime:
    return emitted + timedelta(minutes=data.expiry_minutes)


def sender_id(actor: str | None) -> int | None:
    """The Django user behind the event, if the actor is one."""
    if actor and actor.isdigit() and get_user_model().objects.filter(pk=int(actor)).exists():
        return int(actor)
    return None


class LoggedChannel(Channel):
    log_model: type[models.Model]
    recipient_field: str  # the log model's recipient column
    notifications: dict[str, list[Notification]]
    template_extensions: tuple[str, ...]  # the files each notification's template path names, e.g. (".html", ".txt")

    def handles(self, event_type: str) -> bool:
        return event_type in self.notifications

    def domains(self) -> list[str]:
        return sorted({event_type.split(".", 1)[0] for event_type in self.notifications})

    def deliver(self, event: InboundEvent, *, final_attempt: bool = True) -> bool:
        needs_retry, render_errors = False, []
        for notification in self.notifications[event.type]:
            for recipient in notification.recipients(event.data):
                try:
                    needs_retry |= self._deliver_one(event, notification, recipient, final_attempt)
                except RenderFailed as exc:
                    render_errors.append(str(exc))
        if render_errors:
            raise RenderFailed("; ".join(render_errors))
        return needs_retry

    def template_files(self) -> list[str]:
        return sorted({n.template + ext for ns in self.notifications.values() for n in ns for ext in self.template_extensions})

    def check(self) -> None:
        missing = rendering.missing_templates(self.template_files())
        if missing:
            raise ImproperlyConfigured(
                f"the {self.name} channel's templates {', '.join(missing)} are in none of the template directories "
                f"({', '.join(rendering.search_path())}); restore them, or fix COMMS_TEMPLATE_DIRS")
        if problems := self.settings_problems():
            raise ImproperlyConfigured(f"the {self.name} channel: {'; '.join(problems)}")

    def planned(self, event: InboundEvent) -> list[tuple[Notification, str, str | None]]:
        """The messages `deliver` handles for the event, each with its log row's status (None: no row yet).

        Read-only (one query); replay uses it to tell what was never delivered.
        """
        rows = self.log_model.objects.filter(event_id=event.id).values_list("template", self.recipient_field, "status")
        status = {(template, recipient): value for template, recipient, value in rows}
        return [(notification, recipient, status.get((notification.name, recipient)))
                for notification in self.notifications.get(event.type, [])
                for recipient in notification.recipients(event.data)]

    # --- what a channel supplies -------------------------------------------
    @abstractmethod
    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> Any:
        """Build the message; raise jinja2.TemplateError or ValueError if it cannot be built."""

    @abstractmethod
    def send(self, message: Any, recipient: str, entry: models.Model) -> Sent:
        """Hand the message to the provider; raise TransientError or PermanentError."""

    def describe(self, message: Any, entry: models.Model) -> None:
        """Copy what the rendered message says (subject, text) onto the log row before sending."""

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict[str, Any]:
        return {}

    # --- the common sequence ------------------------------------------------
    def _deliver_one(self, event: InboundEvent, notification: Notification, recipient: str, final_attempt: bool) -> bool:
        entry = self._log_row(event, notification, recipient)
        if entry.status not in ("PENDING",):
            log.info("event %s: %s to %s already %s; not sent again", event.id, notification.name, recipient, entry.status)
            return False
        expiry = notification.expires(event.data, event.time) if event.time else None
        if expiry and timezone.now() >= expiry:
            self._finish(entry, "EXPIRED", error=f"not sent: expired at {expiry.isoformat()}")
            return False
        try:
            message = self.render(notification, event, recipient)
        except (TemplateError, ValueError) as exc:
            self._finish(entry, "FAILED", error=f"render error: {type(exc).__name__}: {exc}")
            raise RenderFailed(f"{notification.name}: {exc}") from exc
        self.describe(message, entry)
        started = time.monotonic()
        try:
            sent = self.send(message, recipient, entry)
        except PermanentError as exc:
            self._observe(notification, entry, started, exc.status)
            self._finish(entry, exc.status, error=str(exc), attempted=True)
            log.warning("event %s: %s to %s %s: %s", event.id, notification.name, recipient, exc.status, exc)
            return False
        except TransientError as exc:
            self._observe(notification, entry, started, "FAILED" if final_attempt else "retry")
            if final_attempt:
                self._finish(entry, "FAILED", error=f"gave up after {entry.retry_count + 1} attempts: {exc}", attempted=True)
                return False
            self._finish(entry, "PENDING", error=f"will retry: {exc}", attempted=True)
            log.info("event %s: %s to %s will be retried: %s", event.id, notification.name, recipient, exc)
            return True
        entry.provider_message_id = sent.provider_message_id or entry.provider_message_id
        if sent.provider:
            entry.provider = sent.provider
        if sent.cost is not None and hasattr(entry, "cost"):
            entry.cost = sent.cost
        self._observe(notification, entry, started, "SENT")
        self._finish(entry, "SENT")
        log.info("event %s: %s sent to %s", event.id, notification.name, recipient)
        return False

    def _log_row(self, event: InboundEvent, notification: Notification, recipient: str) -> models.Model:
        """The message's log row: a new PENDING one (one round trip), or the one an earlier delivery left."""
        key = {"event_id": event.id, "template": notification.name, self.recipient_field: recipient}
        entry = self.log_model(**key, template_version=notification.version, sent_by_id=sender_id(event.actor),
                               **self.new_log_fields(event, notification))
        if not insert_unless_logged(entry, self.recipient_field):
            entry = self.log_model.objects.get(**key)
        entry._saved_values = saved_values(entry)  # so _finish updates only what changed
        return entry

    def _observe(self, notification: Notification, entry: models.Model, started: float, outcome: str) -> None:
        provider = entry.provider or "unknown"
        metrics.SEND_SECONDS.labels(self.name, provider).observe(time.monotonic() - started)
        metrics.SENDS.labels(self.name, notification.name, provider, outcome).inc()

    @staticmethod
    def _finish(entry: models.Model, status: str, error: str = "", attempted: bool = False) -> None:
        entry.status = status
        entry.error_message = error[:4000]
        if status == "SENT":
            entry.delivered_at = timezone.now()  # as in the seed: handed to the provider
        if attempted:
            entry.retry_count += 1
        update_changed(entry)


# The log row's two writes, in SQL the ORM would also send but with less of its
# per-call overhead (measured in docs/performance-email.md): one INSERT … ON CONFLICT
# DO NOTHING RETURNING where get_or_create took a SELECT then BEGIN/INSERT/COMMIT,
# and an UPDATE of the changed columns where save() rewrote every column.
def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def saved_values(entry: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(entry, f.attname) for f in _columns(type(entry))}


def update_changed(entry: models.Model) -> None:
    """UPDATE the columns that changed since the row was read or inserted (`_saved_values`)."""
    saved = entry.__dict__.get("_saved_values")
    if saved is None:  # not read through _log_row: the ORM's full save
        entry.save()
        return
    for f in _columns(type(entry)):
        if getattr(f, "auto_now", False):
            f.pre_save(entry, False)
    changed = [f for f in _columns(type(entry)) if getattr(entry, f.attname) != saved[f.attname]]
    if not changed:
        return
    connection = connections[entry._state.db]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(entry._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in changed)} "
           f"WHERE {quote(entry._meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in changed] + [entry.pk])
    entry._saved_values = saved_values(entry)


@lru_cache(maxsize=None)
def _insert_sql(model: type[models.Model], recipient_field: str, alias: str) -> str:
    quote = connections[alias].ops.quote_name
    key = ", ".join(quote(model._meta.get_field(name).column) for name in ("event_id", "template", recipient_field))
    columns = _columns(model)
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT ({key}) DO NOTHING "
            f"RETURNING {quote(model._meta.pk.column)}")


def insert_unless_logged(entry: models.Model, recipient_field: str) -> bool:
    """INSERT the new log row unless one exists for its (event, template, recipient); True if inserted.

    Values are prepared as the ORM's own INSERT prepares them (field defaults, auto_now_add, JSON).
    """
    alias = router.db_for_write(type(entry))
    connection = connections[alias]
    values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in _columns(type(entry))]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(entry), recipient_field, alias), values)
        row = cursor.fetchone()
    if row is None:
        return False
    entry.pk = row[0]
    entry._state.adding, entry._state.db = False, alias
    return True
