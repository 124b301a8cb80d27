"""The steps a message passes, in a fixed order, before its provider is called.

Each step looks at one message (the event, the notification, the recipient, and the `Facts` its batch
looked up: consumers/consent.py) and either lets it pass (None) or withholds it with a `Withheld` whose
status becomes the log row's final status. The order is documented and fixed: expiry → the recipient's
preferences and consent (critical messages bypass) → suppression (critical messages pass only a suppression
about wanting mail, never one of an address that cannot receive) → quiet hours → rate limit → the provider,
with failover. Before them all, a notification staff switched off (MessageTemplate.is_active = False) is not
sent to anyone: SKIPPED. Steps land in POLICY as they are built; today it holds switched off, expiry,
preferences, suppression and quiet hours (a message inside the recipient's quiet hours is HELD, with when it
goes: consumers/holds.py keeps it).
Whatever else asks whether a message would be withheld (replay's dry run) asks `withheld`, so the decision
is made here only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from consumers import consent, template_overrides
from consumers import quiet_hours as quiet
from consumers.consent import Facts
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.notifications import Notification
from outbox.events.categories import Category


class Why(StrEnum):
    """Why a step withheld a message: the `reason` label of chesanto_withheld_total."""

    SWITCHED_OFF = "switched_off"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    QUIET_HOURS = "quiet_hours"
    # A suppression's own reason (consumers/models.py Suppression.Reason) otherwise: hard_bounce, complaint, …


@dataclass(frozen=True)
class Withheld:
    status: DeliveryStatus  # the log status: EXPIRED, SUPPRESSED, …
    reason: str  # the log row's error_message
    why: str = ""  # a short label for the metric: a Why, or a suppression's reason
    release_at: datetime | None = None  # HELD: when it goes (UTC)


class PolicyStep(Protocol):
    def __call__(self, event: InboundEvent, notification: Notification, recipient: str,
                 now: datetime, facts: Facts) -> Withheld | None: ...


def switched_off(event: InboundEvent, notification: Notification, recipient: str, now: datetime,
                 facts: Facts) -> Withheld | None:
    """Staff switched the notification off in the admin: nobody gets it, critical or not (the process's copy of
    the templates, refreshed once per batch: consumers/template_overrides.py)."""
    if notification.name in template_overrides.in_force().switched_off:
        return Withheld(DeliveryStatus.SKIPPED, f"not sent: the {notification.name} notification is switched off "
                        "(MessageTemplate.is_active)", Why.SWITCHED_OFF)
    return None


def expiry(event: InboundEvent, notification: Notification, recipient: str, now: datetime,
           facts: Facts) -> Withheld | None:
    """A time-critical message (an OTP) past its expiry is not sent."""
    expires_at = notification.expires(event.data, event.time) if event.time else None
    if expires_at and now >= expires_at:
        return Withheld(DeliveryStatus.EXPIRED, f"not sent: expired at {expires_at.isoformat()}", Why.EXPIRED)
    return None


def preferences(event: InboundEvent, notification: Notification, recipient: str, now: datetime,
                facts: Facts) -> Withheld | None:
    """A recipient opted out of the event's category on this channel (or never opted in to marketing) gets
    nothing; a critical message is sent whatever the preferences say."""
    category = event.data.category
    if category == Category.CRITICAL or facts.opted_in(recipient, category):
        return None
    return Withheld(DeliveryStatus.SUPPRESSED, f"not sent: the recipient is opted out of {category} "
                    f"messages by {facts.channel}", Why.OPTED_OUT)


def suppression(event: InboundEvent, notification: Notification, recipient: str, now: datetime,
                facts: Facts) -> Withheld | None:
    """An address on the channel's suppression list gets nothing; a critical message still goes unless the
    address cannot receive (a hard bounce, invalid) or staff suppressed it (consumers/consent.py)."""
    row = facts.suppression(recipient)
    if row is None:
        return None
    if event.data.category == Category.CRITICAL and row.reason not in consent.BLOCKS_CRITICAL:
        return None
    return Withheld(DeliveryStatus.SUPPRESSED, f"not sent: suppressed since {row.created_at:%Y-%m-%d %H:%M} UTC "
                    f"({row.get_reason_display()}, {row.source})", row.reason)


def quiet_hours(event: InboundEvent, notification: Notification, recipient: str, now: datetime,
                facts: Facts) -> Withheld | None:
    """An operational or marketing message (by default on SMS, WhatsApp, push) inside the recipient's quiet hours,
    in their time zone, is held until the window ends (consumers/quiet_hours.py); critical and transactional never."""
    defaults = quiet.defaults()
    if not quiet.applies(event.data.category, facts.channel, defaults.categories, defaults.channels):
        return None
    profile = facts.profile(recipient)
    window = quiet.window(profile.quiet_hours) if profile is not None and profile.quiet_hours else defaults.window
    zone = quiet.zone(profile.time_zone) if profile is not None and profile.time_zone else defaults.zone
    if (release := quiet.release_at(window, zone, now)) is None:
        return None
    return Withheld(DeliveryStatus.HELD, f"held: quiet hours {window} {zone.key}; goes at {release:%Y-%m-%d %H:%M} UTC",
                    Why.QUIET_HOURS, release_at=release)


POLICY: tuple[PolicyStep, ...] = (switched_off, expiry, preferences, suppression, quiet_hours)


def withheld(event: InboundEvent, notification: Notification, recipient: str, now: datetime, facts: Facts,
             steps: tuple[PolicyStep, ...] = POLICY) -> Withheld | None:
    """The first step that withholds the message, or None when every step lets it pass."""
    for step in steps:
        if (stop := step(event, notification, recipient, now, facts)) is not None:
            return stop
    return None
