"""Putting an address on a channel's suppression list, and taking it off, in one place.

Fed by the email channel's tracking webhooks (hard bounces, complaints: consumers/email/webhooks.py), by a
provider's answer at send time that an address will never work (`AddressRejected`: consumers/delivery.py),
by staff in the admin, and by a channel's opt-out callbacks (STOP, WhatsApp's opt-out: `suppress` with
`Reason.OPTED_OUT`). Suppressing an address that is already suppressed adds nothing (one active row per
channel and address, a partial unique index); lifting keeps the row and says who, when and why.
"""
from __future__ import annotations

import logging

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from consumers import metrics
from consumers.consent import address_key
from consumers.models import Suppression

log = logging.getLogger(__name__)
Reason = Suppression.Reason


class LiftReasonRequired(ValueError):
    """A suppression is lifted only with a reason: it is what the next person to look will read."""


def suppress(channel: str, address: str, reason: Reason, source: str, detail: str = "", by=None,
             shown: str | None = None) -> bool:
    """Put `address` on `channel`'s list; False when it already was (nothing changes). `shown`: the address as
    log lines may show it (a push token masked: `LoggedChannel.logged_recipient`)."""
    row = Suppression(channel=channel, address=address_key(address)[:512], reason=reason, source=source[:100],
                      detail=detail[:4000], created_by=by)
    try:
        with transaction.atomic():  # a savepoint: the conflict leaves the caller's transaction usable
            row.save()
    except IntegrityError:  # suppressed already (suppression_active_once)
        return False
    metrics.SUPPRESSIONS.labels(channel, reason).inc()
    log.info("%s %s suppressed: %s (%s)", channel, address if shown is None else shown, reason, source)
    return True


def record_rejected(channel: str, address: str, source: str, detail: str, shown: str) -> None:
    """A provider called the address invalid while sending: suppress it. Its row is already decided, so a
    database that fails now only loses the suppression (logged), never repeats the send."""
    try:
        suppress(channel, address, Reason.INVALID, source, detail, shown=shown)
    except DatabaseError as exc:
        log.warning("%s %s could not be suppressed (%s); the provider will refuse it again", channel, shown, exc)


def lift(rows: QuerySet, by, reason: str) -> int:
    """Lift the active suppressions among `rows`, recording who and why; the number lifted."""
    if not reason.strip():
        raise LiftReasonRequired("say why the suppression is lifted (the address works again, the recipient asked, …)")
    return rows.filter(lifted_at__isnull=True).update(lifted_at=timezone.now(), lifted_by=by, lift_reason=reason.strip())
