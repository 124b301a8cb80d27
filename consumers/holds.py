"""Messages held by quiet hours: kept as scheduled rows, released when their window ends.

Why rows and not a delay topic: each recipient's window ends at its own moment (their time zone, their own
window), so a delay topic would need a topic per delay or a consumer that sits on a record until it is due —
holding up every record behind it in its partition. A row costs one INSERT; the record's offset is committed as
soon as its log row says HELD, so the partition moves on; and staff see what is held, and until when, in the
admin (Held messages).

    hold          the policy said HELD (consumers/policy.py): the record is stored with `release_at`, before the
                  log row is written HELD (a crash between the two re-reads the record and holds it again: one
                  row per message, the unique constraint)
    release_due   the rows whose time has come, oldest first: taken with FOR UPDATE SKIP LOCKED and pushed
                  `RELEASE_LEASE` seconds on (so two consumer processes never take the same row at once),
                  their log rows made PENDING again, then the events delivered through the channel's usual
                  sequence with the same log rows — the claims (consumers/claims.py) keep a second send out
                  even if a releaser dies mid-way and another takes over. Released messages pass the whole
                  policy again: an opt-out or expiry meanwhile withholds them; a window moved later holds them again.

    reschedule    the recipient changed their quiet hours or time zone (consumers/profiles.py): their held
                  messages are due at once, and the policy holds them again only if the new window says so

Order per key: a key's held messages go in the order they were held (created_at), one batch, sent in turn.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from confluent_kafka import TIMESTAMP_CREATE_TIME
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from consumers import log_rows, metrics
from consumers.delivery_log import DeliveryStatus
from consumers.events import POISON, InboundEvent, event_from_message
from consumers.models import HeldMessage

if TYPE_CHECKING:
    from consumers.claims import ProcessLease
    from consumers.delivery import LoggedChannel

log = logging.getLogger(__name__)

RELEASE_BATCH = 200  # held rows taken per look
RELEASE_LEASE = 60.0  # seconds a taken row is left to its releaser before another may take it
RELEASE_ATTEMPTS = 5  # a released message's transient failures before it is FAILED (as a record's retries)
RELEASED_NOTE = "held for quiet hours, released when they ended"  # on the log row of a released message


def hold(channel: str, event: InboundEvent, template: str, recipient: str, release_at: datetime, reason: str,
         recipient_key: str = "") -> None:
    """Keep the message (its whole record) until `release_at`; held again, its row is rescheduled.
    `recipient_key`: their profile's key, so that a change of their window or time zone reschedules it."""
    record = event.record
    if record is not None:
        key, value = record.key(), record.value()
    else:  # an event built in code (a unit test): its data, as the relay would have written it
        key, value = event.key.encode(), event.data.model_dump_json().encode()
    HeldMessage.objects.bulk_create(
        [HeldMessage(channel=channel, event_id=event.id, template=template, recipient=recipient,
                     recipient_key=recipient_key, key=event.key,
                     topic=event.topic, partition=event.partition, offset=event.offset, record_key=key,
                     record_value=value, headers=event.headers, emitted_at=event.emitted_at, release_at=release_at,
                     reason=reason[:255])],
        update_conflicts=True, unique_fields=["channel", "event_id", "template", "recipient"],
        update_fields=["release_at", "reason", "released_at", "release_attempts"])  # held anew: attempts afresh
    metrics.QUIET_HOURS.labels(channel, "held").inc()


@dataclass(frozen=True)
class StoredRecord:
    """A held row read back as the Kafka record it was (the slice of confluent_kafka.Message decoding uses)."""

    row: HeldMessage

    def topic(self) -> str:
        return self.row.topic

    def partition(self) -> int:
        return self.row.partition

    def offset(self) -> int:
        return self.row.offset

    def key(self) -> bytes | None:
        return bytes(self.row.record_key) if self.row.record_key is not None else None

    def value(self) -> bytes:
        return bytes(self.row.record_value)

    def headers(self) -> list[tuple[str, bytes]]:
        return [(name, value.encode()) for name, value in self.row.headers.items()]

    def timestamp(self) -> tuple[int, int]:
        at = self.row.emitted_at
        return (TIMESTAMP_CREATE_TIME, int(at.timestamp() * 1000)) if at else (0, 0)


def reschedule(recipient_key: str) -> int:
    """The recipient's window or time zone changed: their held messages are due now, and the policy decides again
    when each goes (held anew until the new window's end, or sent). The number rescheduled."""
    return HeldMessage.objects.filter(recipient_key=recipient_key, released_at__isnull=True).update(
        release_at=timezone.now())


def _take(channel: LoggedChannel, now: datetime, limit: int) -> list[HeldMessage]:
    """The due rows, oldest first, taken for this releaser; their log rows PENDING again. One transaction."""
    with transaction.atomic():
        rows = list(HeldMessage.objects.select_for_update(skip_locked=True)
                    .filter(channel=channel.name, released_at__isnull=True, release_at__lte=now)
                    .order_by("created_at", "pk")[:limit])
        if not rows:
            return []
        HeldMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
            release_at=now + timedelta(seconds=RELEASE_LEASE), release_attempts=F("release_attempts") + 1)
        channel.log_model.objects.filter(_log_rows(channel, rows), status=DeliveryStatus.HELD).update(
            status=DeliveryStatus.PENDING, error_message=RELEASED_NOTE)
    return rows


def _log_rows(channel: LoggedChannel, rows: list[HeldMessage]) -> Q:
    wanted = Q()
    for row in rows:
        wanted |= Q(event_id=row.event_id, template=row.template, **{channel.recipient_field: row.recipient})
    return wanted


def release_due(channel: LoggedChannel, lease: ProcessLease | None = None, now: datetime | None = None,
                limit: int = RELEASE_BATCH) -> int:
    """Deliver the held messages of `channel` whose time has come; the number that left the hold (sent, or
    withheld by the policy now). Safe to run in several processes at once."""
    now = now or timezone.now()
    rows = _take(channel, now, limit)
    if not rows:
        return 0
    events: dict[object, InboundEvent] = {}
    final: dict[object, bool] = {}
    for row in rows:  # oldest first: the batch sends each key's messages in this order
        if row.event_id in events:
            continue
        try:
            events[row.event_id] = event_from_message(StoredRecord(row), row.headers)
        except POISON as exc:  # it was read once; a signing key retired since, say
            log.error("held message %s (event %s) cannot be read back (%s); not sent", row.pk, row.event_id, exc)
            channel.log_model.objects.filter(_log_rows(channel, [row])).filter(status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.FAILED, error_message=f"held, then could not be read back: {exc}"[:4000])
            HeldMessage.objects.filter(pk=row.pk).update(released_at=now)
            continue
        final[row.event_id] = row.release_attempts + 1 >= RELEASE_ATTEMPTS
    if events:
        channel.deliver_many(list(events.values()), [final[event_id] for event_id in events], lease=lease)
    return _mark_released(channel, [row for row in rows if row.event_id in events])


def _mark_released(channel: LoggedChannel, rows: list[HeldMessage]) -> int:
    """Rows whose log row has moved on (not PENDING: to retry after the lease; not HELD: held again) are released."""
    if not rows:
        return 0
    field = channel.recipient_field
    statuses = {(event_id, template, str(recipient)): status for event_id, template, recipient, status in
                channel.log_model.objects.filter(_log_rows(channel, rows))
                .values_list("event_id", "template", field, "status")}
    gone = [row for row in rows if statuses.get((row.event_id, row.template, row.recipient))
            not in (None, DeliveryStatus.PENDING, DeliveryStatus.HELD)]
    if gone:  # the send rewrote error_message: the row says it was held
        log_rows.note_reopened(channel.log_model.objects.filter(_log_rows(channel, gone)), RELEASED_NOTE)
    released = HeldMessage.objects.filter(pk__in=[row.pk for row in gone], released_at__isnull=True).update(
        released_at=timezone.now())
    metrics.QUIET_HOURS.labels(channel.name, "released").inc(released)
    if released:
        log.info("%s: %d held messages released from quiet hours", channel.name, released)
    return released
