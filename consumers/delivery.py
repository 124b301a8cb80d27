"""What every logged channel does with one message, in one fixed sequence:

    the log row (one per event × template × recipient), claimed by this process (consumers/claims.py);
        final rows are never sent again, rows another live process holds are left to it
    → an interrupted attempt: the notification's rule (resend, or hold as UNKNOWN)
    → the policy steps (consumers/policy.py: switched off, expiry, preferences, suppression, quiet hours), with what
      the batch looked up about its recipients once (consumers/consent.py); a HELD message is kept for later
      (consumers/holds.py)
    → render, with staff's overrides in force (consumers/template_overrides.py; the row records the version)
      (a failure is RENDER_FAILED and dead-letters the record)
    → send (the provider raises TransientError or PermanentError, consumers/providers.py)
    → finish the row, as soon as its own send returned (consumers/log_rows.py sets it, consumers/batch.py writes it).

A channel subclasses `LoggedChannel` and supplies its log model, how to render and how to send.
"""
from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from jinja2 import TemplateError

from consumers import consent, holds, languages, log_rows, metrics, rendering, suppressions, template_overrides
from consumers.channels import Channel
from consumers.claims import ProcessLease
from consumers.delivery_log import DeliveryLog, DeliveryStatus
from consumers.events import InboundEvent
from consumers.log_rows import Opened
from consumers.notifications import IfInterrupted, Notification
from consumers.outcomes import Delivery, MessageOutcome
from consumers.policy import withheld
from consumers.providers import AddressRejected, PermanentError, Sent, TransientError
from outbox.events.base import EventSchema

log = logging.getLogger(__name__)

MayStart = Callable[[], bool]  # whether a provider call may start now (consumers/claims.py, a revoked partition)


class MessageResult(NamedTuple):
    outcome: MessageOutcome
    render_error: str | None = None  # why it could not be rendered
    retry_after: float | None = None  # seconds the provider asked to wait
    crowded: bool = False  # the provider refused the connection as one too many
    broken: Exception | None = None  # the unexpected error of a BROKEN message


class LoggedChannel(Channel):
    log_model: type[DeliveryLog]
    notifications: dict[str, list[Notification]]
    template_extensions: tuple[str, ...]  # the files each notification's template path names, e.g. (".html", ".txt")
    # A channel whose send can be repeated without a second message reaching anyone (the inbox: a row enters
    # the feed once) resends an interrupted attempt whatever the notification's rule says.
    idempotent_sends = False
    # What its recipients' preference keys name (consumers/consent.py): the preference page offers a recipient
    # the channels of their key's kind. None: the channel keeps no preferences a recipient can change.
    consent_key_kind: consent.KeyKind | None = None

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
                     lease: ProcessLease | None = None) -> list[Delivery]:
        """Deliver several events at once, in this thread: their rows opened together, each message sent
        and its row written in turn (consumers/batch.py; the consume loop's workers run the sends in parallel)."""
        from consumers.batch import Batch, local_lease

        batch = Batch(self, events, final_attempts, lease or local_lease())
        batch.open()
        for task in batch.tasks(lambda i: batch.lease.may_send()):
            task.run(self, after_each=batch.write_settled)
        batch.write_settled()  # the rows settled without a send (final, or held elsewhere)
        return [delivery for _, delivery in sorted(batch.finished())]

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

    def consent_keys(self, recipients: set[str]) -> dict[str, str]:
        """The key each recipient's preferences are kept under (consumers/consent.py): by default the address or
        number itself; a channel that delivers to users (or their devices) names the user, `user:<pk>`."""
        return {recipient: consent.address_key(recipient) for recipient in recipients}

    def logged_recipient(self, recipient: str) -> str:
        """The recipient as log lines show it (the push channel masks device tokens); the log row keeps it whole."""
        return recipient

    # --- the common sequence ------------------------------------------------
    def deliver_message(self, opened: Opened, event: InboundEvent, notification: Notification, recipient: str,
                        final_attempt: bool, may_start: MayStart, facts: consent.Facts | None = None) -> MessageResult:
        """What became of one message; never raises. The row's new values are set on `opened.entry`;
        the batch writes them. `facts`: its batch's look-up of preferences and suppressions (else its own)."""
        entry = opened.entry
        call_started = False
        try:
            if entry.status != DeliveryStatus.PENDING:
                log.info("event %s: %s to %s already %s; not sent again", event.id, notification.name,
                         self.logged_recipient(recipient), entry.status)
                return MessageResult(MessageOutcome.ALREADY_FINAL)
            if not opened.held:
                log.info("event %s: %s to %s is being sent by %s; looked at again later", event.id, notification.name,
                         self.logged_recipient(recipient), entry.attempted_by)
                return MessageResult(MessageOutcome.BUSY)
            note = self._after_interruption(opened, event, notification) if opened.interrupted_by else ""
            if entry.status == DeliveryStatus.UNKNOWN:
                return MessageResult(MessageOutcome.HELD)
            facts = facts if facts is not None else consent.load(self, [recipient])
            if stop := withheld(event, notification, recipient, timezone.now(), facts):
                if stop.status == DeliveryStatus.HELD:  # kept before its row says so: a crash in between holds it again
                    holds.hold(self.name, event, notification.name, recipient, stop.release_at, stop.reason,
                               facts.keys.get(recipient, ""))
                log_rows.finish(entry, stop.status, error=stop.reason)
                metrics.WITHHELD.labels(self.name, stop.status.value, stop.why or "other").inc()
                return MessageResult(MessageOutcome.WITHHELD)
            overrides = template_overrides.in_force()
            try:
                # the languages the batch's profiles chose; staff's overrides, the same copy for the render and the row
                with languages.recipients_of(facts), template_overrides.using(overrides):
                    message = self.render(notification, event, recipient)
            except (TemplateError, ValueError) as exc:
                log_rows.finish(entry, DeliveryStatus.RENDER_FAILED, error=f"{type(exc).__name__}: {exc}")
                return MessageResult(MessageOutcome.RENDER_FAILED, render_error=f"{notification.name}: {exc}")
            entry.override_version = overrides.versions.get(notification.name)
            self.describe(message, entry)
            if not may_start():
                log_rows.release(entry)
                return MessageResult(MessageOutcome.NOT_STARTED)
            call_started = True
            return self._call_provider(message, entry, event, notification, recipient, final_attempt, note)
        except (OperationalError, InterfaceError) as exc:  # the database, away in the middle of a send (the inbox)
            connection.close()  # this thread's connection is unusable now
            log.warning("event %s: %s to %s: database unavailable (%s); looked at again later", event.id,
                        notification.name, self.logged_recipient(recipient), exc)
            log_rows.release(entry)
            return MessageResult(MessageOutcome.NOT_STARTED)
        except Exception as exc:  # noqa: BLE001 - a bug must not take the batch's other messages with it
            log.exception("event %s: %s to %s: unexpected error", event.id, notification.name,
                          self.logged_recipient(recipient))
            if call_started:  # the provider may have it: as if its process had died during the call
                return self._after_unknown_call(entry, event, notification, exc)
            log_rows.release(entry)
            return MessageResult(MessageOutcome.BROKEN, broken=exc)

    def _call_provider(self, message: Any, entry: DeliveryLog, event: InboundEvent, notification: Notification,
                       recipient: str, final_attempt: bool, note: str) -> MessageResult:
        started = time.monotonic()
        try:
            sent = self.send(message, recipient, entry)
        except PermanentError as exc:
            self._observe(notification, entry, started, exc.status)
            log_rows.finish(entry, exc.status, error=str(exc), called=True, failed=True)
            log.warning("event %s: %s to %s %s: %s", event.id, notification.name, self.logged_recipient(recipient),
                        exc.status, exc)
            if isinstance(exc, AddressRejected):  # it will never work: on the suppression list
                suppressions.record_rejected(self.name, recipient, f"{entry.provider or self.name} at send", str(exc),
                                             self.logged_recipient(recipient))
            return MessageResult(MessageOutcome.FAILED)
        except TransientError as exc:
            self._observe(notification, entry, started, DeliveryStatus.FAILED if final_attempt else "retry")
            if final_attempt:
                log_rows.finish(entry, DeliveryStatus.FAILED,
                                error=f"gave up after {entry.retry_count + 1} attempts: {exc}", called=True, failed=True)
                return MessageResult(MessageOutcome.FAILED, crowded=exc.crowded)
            log_rows.finish(entry, DeliveryStatus.PENDING, error=f"will retry: {exc}", called=True, failed=True)
            log.info("event %s: %s to %s will be retried: %s", event.id, notification.name,
                     self.logged_recipient(recipient), exc)
            return MessageResult(MessageOutcome.RETRY, retry_after=exc.retry_after, crowded=exc.crowded)
        entry.provider_message_id = sent.provider_message_id or entry.provider_message_id
        if sent.provider:
            entry.provider = sent.provider
        if sent.cost is not None and hasattr(entry, "cost"):
            entry.cost = sent.cost
        self._observe(notification, entry, started, DeliveryStatus.SENT)
        log_rows.finish(entry, DeliveryStatus.SENT, error=note, called=True)
        log.info("event %s: %s sent to %s", event.id, notification.name, self.logged_recipient(recipient))
        return MessageResult(MessageOutcome.SENT)

    # --- an attempt that was cut short ----------------------------------------------------------
    def _rule(self, event: InboundEvent, notification: Notification) -> IfInterrupted:
        return IfInterrupted.RESEND if self.idempotent_sends else notification.rule_if_interrupted(event.data)

    def _after_interruption(self, opened: Opened, event: InboundEvent, notification: Notification) -> str:
        """The row's previous attempt died during its provider call: apply the rule. Held, the row is
        finished UNKNOWN; else the note its row keeps when it is sent again."""
        entry, rule = opened.entry, self._rule(event, notification)
        entry.interrupted_by = opened.interrupted_by
        metrics.INTERRUPTED.labels(self.name, rule.value).inc()
        what = f"attempt {entry.attempts - 1} by {opened.interrupted_by} was interrupted during its provider call"
        if rule is IfInterrupted.HOLD:
            log_rows.finish(entry, DeliveryStatus.UNKNOWN, error=f"{what}; held for a decision (rule: hold)")
            log.warning("event %s: %s to %s: %s; UNKNOWN until an operator decides", event.id, notification.name,
                        self.logged_recipient(entry.recipient_value), what)
            return ""
        log.warning("event %s: %s to %s: %s; sending again", event.id, notification.name,
                    self.logged_recipient(entry.recipient_value), what)
        return f"{what}; sent again (rule: resend)"

    def _after_unknown_call(self, entry: DeliveryLog, event: InboundEvent, notification: Notification,
                            exc: Exception) -> MessageResult:
        rule = self._rule(event, notification)
        entry.interrupted_by = entry.attempted_by
        metrics.INTERRUPTED.labels(self.name, rule.value).inc()
        what = f"the provider call ended in an unexpected error ({type(exc).__name__}: {exc})"
        if rule is IfInterrupted.HOLD:
            log_rows.finish(entry, DeliveryStatus.UNKNOWN, error=f"{what}; held for a decision (rule: hold)",
                            called=True, failed=True)
            return MessageResult(MessageOutcome.HELD)
        log_rows.finish(entry, DeliveryStatus.PENDING, error=f"{what}; will retry (rule: resend)", called=True,
                        failed=True)
        return MessageResult(MessageOutcome.RETRY)

    def _observe(self, notification: Notification, entry: DeliveryLog, started: float, outcome: str) -> None:
        provider = entry.provider or "unknown"
        metrics.SEND_SECONDS.labels(self.name, provider).observe(time.monotonic() - started)
        metrics.SENDS.labels(self.name, notification.name, provider, outcome).inc()
