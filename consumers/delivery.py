"""What every logged channel does with one message, in one fixed sequence:

    the log row (one per event × template × recipient; final ones are never sent again)
    → the policy steps (consumers/policy.py: expiry, …)
    → render (a failure is RENDER_FAILED and dead-letters the record)
    → send (the provider raises TransientError or PermanentError, consumers/providers.py)
    → finish the row.

A channel subclasses `LoggedChannel` and supplies its log model, how to render and how to send.
"""
from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from jinja2 import TemplateError

from chesanto_comms.logging import log_context
from consumers import metrics, rendering
from consumers.channels import Channel
from consumers.delivery_log import DeliveryLog, DeliveryStatus
from consumers.events import InboundEvent
from consumers.log_rows import finish_rows, insert_or_get_many, senders
from consumers.notifications import Notification
from consumers.outcomes import Delivery, MessageOutcome
from consumers.policy import withheld
from consumers.providers import PermanentError, Sent, TransientError
from outbox.events.base import EventSchema

log = logging.getLogger(__name__)

# A task sends one key's messages with the channel instance it is given, and answers whether the
# provider refused that instance's connection as one too many (consumers/sender_pool.py).
SendTask = Callable[["LoggedChannel"], bool]
Runner = Callable[[list[SendTask]], None]  # runs tasks, each with a channel of its own


class MessageResult(NamedTuple):
    outcome: MessageOutcome
    render_error: str | None = None  # why it could not be rendered
    retry_after: float | None = None  # seconds the provider asked to wait
    crowded: bool = False  # the provider refused the connection as one too many


class LoggedChannel(Channel):
    log_model: type[DeliveryLog]
    notifications: dict[str, list[Notification]]
    template_extensions: tuple[str, ...]  # the files each notification's template path names, e.g. (".html", ".txt")

    @property
    def recipient_field(self) -> str:
        return self.log_model.RECIPIENT_FIELD

    def handles(self, event_type: str) -> bool:
        return event_type in self.notifications

    def domains(self) -> list[str]:
        return sorted({event_type.split(".", 1)[0] for event_type in self.notifications})

    def deliver(self, event: InboundEvent, *, final_attempt: bool = True) -> Delivery:
        return self.deliver_many([event], [final_attempt])[0]

    def deliver_many(self, events: list[InboundEvent], final_attempts: list[bool],
                     run: Runner | None = None) -> list[Delivery]:
        """Deliver several events (in the order they were read) with their log rows written in one
        INSERT and finished in one UPDATE, instead of two statements per message. The sends run
        through `run`, one task per key (each with a channel of its own: a sender's), so a slow
        provider is called for several keys at once while each key keeps its order."""
        messages = []
        for i, event in enumerate(events):
            with log_context(event_id=event.id, trace_id=event.trace_id):  # what finding recipients logs names it
                messages.extend((i, event, notification, recipient)
                                for notification in self.notifications.get(event.type, [])
                                for recipient in notification.recipients(event.data))
        actors = senders({event.actor for event in events})
        entries = insert_or_get_many(self.log_model, [
            ({"event_id": event.id, "template": notification.name, self.recipient_field: recipient},
             {"template_version": notification.version, "sent_by_id": actors.get(event.actor),
              **self.new_log_fields(event, notification)})
            for _, event, notification, recipient in messages])
        outcomes: list[list[MessageOutcome]] = [[] for _ in events]
        render_errors: list[list[str]] = [[] for _ in events]
        waits: list[list[float]] = [[] for _ in events]
        results: list[MessageResult] = [None] * len(messages)

        def send_key(positions: list[int], channel: LoggedChannel) -> bool:
            for position in positions:
                i, event, notification, recipient = messages[position]
                with log_context(event_id=event.id, trace_id=event.trace_id):
                    results[position] = channel._deliver_one(entries[position], event, notification, recipient,
                                                             final_attempts[i])
            return any(results[position].crowded for position in positions)

        by_key: dict[str, list[int]] = {}
        for position, (_, event, _, _) in enumerate(messages):
            by_key.setdefault(event.key, []).append(position)
        tasks = [partial(send_key, positions) for positions in by_key.values()]
        if run is None:
            for task in tasks:
                task(self)
        else:
            run(tasks)
        for (i, *_), (outcome, error, retry_after, _) in zip(messages, results):
            outcomes[i].append(outcome)
            if error:
                render_errors[i].append(error)
            if retry_after is not None:
                waits[i].append(retry_after)
        unlogged: dict[int, Exception] = {}
        for position, exc in finish_rows(entries).items():
            unlogged.setdefault(messages[position][0], exc)
        return [Delivery(tuple(o), tuple(e), unlogged.get(i), max(w, default=None))
                for i, (o, e, w) in enumerate(zip(outcomes, render_errors, waits))]

    def template_files(self) -> list[str]:
        return sorted({n.template + ext for ns in self.notifications.values() for n in ns
                       for ext in self.template_extensions})

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

        Read-only (one query); replay uses it to tell what was never delivered. Recipients are text; a
        recipient column that holds numbers (a user id) reads back as numbers, so they are compared as text.
        """
        rows = self.log_model.objects.filter(event_id=event.id).values_list("template", self.recipient_field, "status")
        status = {(template, str(recipient)): value for template, recipient, value in rows}
        return [(notification, recipient, status.get((notification.name, recipient)))
                for notification in self.notifications.get(event.type, [])
                for recipient in notification.recipients(event.data)]

    # --- what a channel supplies -------------------------------------------
    @abstractmethod
    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> Any:
        """Build the message; raise jinja2.TemplateError or ValueError if it cannot be built."""

    @abstractmethod
    def send(self, message: Any, recipient: str, entry: DeliveryLog) -> Sent:
        """Hand the message to the provider; raise TransientError or PermanentError."""

    def preview(self, notification: Notification, data: EventSchema):
        """The message rendered from sample data, for the admin (consumers/template_preview.Preview)."""
        raise NotImplementedError(f"{type(self).__name__}.preview must render a Preview for the admin")

    def describe(self, message: Any, entry: DeliveryLog) -> None:
        """Copy what the rendered message says (subject, text) onto the log row before sending."""

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict[str, Any]:
        return {}

    def logged_recipient(self, recipient: str) -> str:
        """The recipient as log lines show it (the push channel masks device tokens); the log row keeps it whole."""
        return recipient

    # --- the common sequence ------------------------------------------------
    def _deliver_one(self, entry: DeliveryLog, event: InboundEvent, notification: Notification, recipient: str,
                     final_attempt: bool) -> MessageResult:
        """What became of the message. The row's new values are set on `entry`; deliver_many writes
        them for the whole batch."""
        if entry.status != DeliveryStatus.PENDING:
            log.info("event %s: %s to %s already %s; not sent again", event.id, notification.name,
                     self.logged_recipient(recipient), entry.status)
            return MessageResult(MessageOutcome.ALREADY_FINAL)
        if stop := withheld(event, notification, recipient, timezone.now()):
            self._finish(entry, stop.status, error=stop.reason)
            return MessageResult(MessageOutcome.WITHHELD)
        try:
            message = self.render(notification, event, recipient)
        except (TemplateError, ValueError) as exc:
            self._finish(entry, DeliveryStatus.RENDER_FAILED, error=f"{type(exc).__name__}: {exc}")
            return MessageResult(MessageOutcome.RENDER_FAILED, render_error=f"{notification.name}: {exc}")
        self.describe(message, entry)
        started = time.monotonic()
        try:
            sent = self.send(message, recipient, entry)
        except PermanentError as exc:
            self._observe(notification, entry, started, exc.status)
            self._finish(entry, exc.status, error=str(exc), attempted=True)
            log.warning("event %s: %s to %s %s: %s", event.id, notification.name, self.logged_recipient(recipient),
                        exc.status, exc)
            return MessageResult(MessageOutcome.FAILED)
        except TransientError as exc:
            self._observe(notification, entry, started, "FAILED" if final_attempt else "retry")
            if final_attempt:
                self._finish(entry, DeliveryStatus.FAILED, error=f"gave up after {entry.retry_count + 1} attempts: {exc}",
                             attempted=True)
                return MessageResult(MessageOutcome.FAILED, crowded=exc.crowded)
            self._finish(entry, DeliveryStatus.PENDING, error=f"will retry: {exc}", attempted=True)
            log.info("event %s: %s to %s will be retried: %s", event.id, notification.name,
                     self.logged_recipient(recipient), exc)
            return MessageResult(MessageOutcome.RETRY, retry_after=exc.retry_after, crowded=exc.crowded)
        entry.provider_message_id = sent.provider_message_id or entry.provider_message_id
        if sent.provider:
            entry.provider = sent.provider
        if sent.cost is not None and hasattr(entry, "cost"):
            entry.cost = sent.cost
        self._observe(notification, entry, started, "SENT")
        self._finish(entry, DeliveryStatus.SENT)
        log.info("event %s: %s sent to %s", event.id, notification.name, self.logged_recipient(recipient))
        return MessageResult(MessageOutcome.SENT)

    def _observe(self, notification: Notification, entry: DeliveryLog, started: float, outcome: str) -> None:
        provider = entry.provider or "unknown"
        metrics.SEND_SECONDS.labels(self.name, provider).observe(time.monotonic() - started)
        metrics.SENDS.labels(self.name, notification.name, provider, outcome).inc()

    @staticmethod
    def _finish(entry: DeliveryLog, status: str, error: str = "", attempted: bool = False) -> None:
        entry.status = status
        entry.error_message = error[:4000]
        if status == DeliveryStatus.SENT:
            entry.delivered_at = timezone.now()  # as in the seed: handed to the provider
        if attempted:
            entry.retry_count += 1
