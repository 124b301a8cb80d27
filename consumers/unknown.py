"""Rows held UNKNOWN (their process died during the provider call, under a rule to hold): what an
operator decides for them, from the admin. Every decision is written on the row, with who and when.

- send again: the row goes back to PENDING and its event is re-published from the outbox, so the
  channel's consumer sends it (every other row of the event is final and sends nothing);
- it arrived: SENT (the provider's dashboard, or the recipient, says so);
- it did not arrive: FAILED.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.db.models import QuerySet
from django.utils import timezone

from chesanto_comms.publication import publisher
from consumers.delivery_log import DeliveryStatus
from consumers.log_rows import decide_held
from outbox.models import OutboxEvent
from outbox.requeue import republish


class Decision(Enum):
    SEND_AGAIN = "send again"
    ARRIVED = "it arrived"
    NOT_ARRIVED = "it did not arrive"


@dataclass(frozen=True)
class Decided:
    rows: int  # UNKNOWN rows the decision changed
    skipped: int  # chosen rows that were not UNKNOWN: left as they are
    not_republished: int = 0  # SEND_AGAIN rows whose event is no longer in the outbox (or is not tracked)


def decide(rows: QuerySet, decision: Decision, who: str) -> Decided:
    held = rows.filter(status=DeliveryStatus.UNKNOWN)
    chosen, unknown = rows.count(), list(held.values_list("pk", "event_id"))
    note = f"{decision.value}: decided by {who} at {timezone.now().isoformat(timespec='seconds')}"
    status = {Decision.SEND_AGAIN: DeliveryStatus.PENDING, Decision.ARRIVED: DeliveryStatus.SENT,
              Decision.NOT_ARRIVED: DeliveryStatus.FAILED}[decision]
    decide_held(held, status, note)
    missing = 0
    if decision is Decision.SEND_AGAIN:
        events = {event_id for _, event_id in unknown if event_id}
        in_outbox = set(OutboxEvent.objects.filter(pk__in=events, published_at__isnull=False)
                        .values_list("pk", flat=True)) if publisher().tracks_publication else set()
        republish(list(in_outbox))
        missing = sum(1 for _, event_id in unknown if event_id not in in_outbox)
    return Decided(len(unknown), chosen - len(unknown), missing)
