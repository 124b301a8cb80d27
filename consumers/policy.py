"""The steps a message passes, in a fixed order, before its provider is called.

Each step looks at one message (the event, the notification, the recipient) and either lets it
pass (None) or withholds it with a `Withheld` whose status becomes the log row's final status.
The order is documented and fixed: expiry → the recipient's preferences and consent (critical
messages bypass) → suppression → quiet hours → rate limit → the provider, with failover. Steps
land in POLICY as they are built; today it holds expiry. Whatever else asks whether a message would be
withheld (replay's dry run) asks `withheld`, so the decision is made here only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.notifications import Notification


@dataclass(frozen=True)
class Withheld:
    status: DeliveryStatus  # the log status: EXPIRED, SKIPPED, …
    reason: str  # the log row's error_message


class PolicyStep(Protocol):
    def __call__(self, event: InboundEvent, notification: Notification, recipient: str,
                 now: datetime) -> Withheld | None: ...


def expiry(event: InboundEvent, notification: Notification, recipient: str, now: datetime) -> Withheld | None:
    """A time-critical message (an OTP) past its expiry is not sent."""
    expires_at = notification.expires(event.data, event.time) if event.time else None
    if expires_at and now >= expires_at:
        return Withheld(DeliveryStatus.EXPIRED, f"not sent: expired at {expires_at.isoformat()}")
    return None


POLICY: tuple[PolicyStep, ...] = (expiry,)


def withheld(event: InboundEvent, notification: Notification, recipient: str, now: datetime,
             steps: tuple[PolicyStep, ...] = POLICY) -> Withheld | None:
    """The first step that withholds the message, or None when every step lets it pass."""
    for step in steps:
        if (stop := step(event, notification, recipient, now)) is not None:
            return stop
    return None
