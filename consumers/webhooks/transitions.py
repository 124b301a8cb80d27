"""Which log changes a callback may make: statuses only move forward, and each timestamp
is set once, so callbacks arriving late, out of order or twice change nothing.

A status's rank says how far a message got (each channel's log model declares its
STATUS_RANK); a callback's status is applied only when it ranks above the row's. Final outcomes share the top rank, so the first one reported wins
(a "delivered" after "undelivered" is ignored, as is a late "sent" after "delivered").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from consumers.delivery_log import DeliveryLog


@dataclass(frozen=True)
class Change:
    """What one callback reports about one message."""

    status: str = ""  # the log status it implies; "" = none (an open, a deferral, ...)
    at: datetime | None = None  # when the provider says it happened (None: now)
    error: str = ""  # why, for a failure
    opened_at: datetime | None = None
    clicked_at: datetime | None = None


def changes(entry: DeliveryLog, change: Change) -> dict[str, Any]:
    """The fields `change` would set on the row: empty when it brings nothing new."""
    ranks = type(entry).STATUS_RANK
    # A status this table does not know (added later) is treated as final: never overwritten.
    current = ranks.get(entry.status, max(ranks.values()))
    updates: dict[str, Any] = {}
    if change.status and ranks[change.status] > current:
        updates["status"] = change.status
        if change.status == "DELIVERED":
            # Until now delivered_at said when the provider took the message (as in the seed).
            updates["delivered_at"] = change.at or timezone.now()
        if change.error:
            updates["error_message"] = change.error[:4000]
    for name in ("opened_at", "clicked_at"):  # the first open / click, even if reported late
        value, known = getattr(change, name), getattr(entry, name, None)
        if value is not None and (known is None or value < known):
            updates[name] = value
    return updates


def apply(entry: DeliveryLog, change: Change) -> list[str]:
    """Apply `change` to the row (locked by the caller) and save it; return the fields changed."""
    updates = changes(entry, change)
    for name, value in updates.items():
        setattr(entry, name, value)
    if updates:
        entry.save(update_fields=list(updates))
    return list(updates)
