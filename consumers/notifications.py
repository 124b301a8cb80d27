"""What a channel declares per event type: the messages it produces, their templates and recipients."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from outbox.events.base import EventSchema
from outbox.events.categories import Category


class IfInterrupted(Enum):
    """What becomes of a message whose process died during its provider call (consumers/claims.py):
    the provider may or may not have taken it, and nothing can tell which."""

    RESEND = "resend"  # send it again: a second copy beats a missed one (at least once)
    HOLD = "hold"  # log it UNKNOWN for an operator to decide: a second copy costs more than a miss


# The rule a notification follows unless it declares its own.
IF_INTERRUPTED = {
    Category.CRITICAL: IfInterrupted.RESEND,  # a missed login code locks the user out; a second one is harmless
    Category.TRANSACTIONAL: IfInterrupted.RESEND,  # an order or delivery notice twice is better than not at all
    Category.OPERATIONAL: IfInterrupted.RESEND,  # staff alerts: a duplicate costs nothing
    Category.MARKETING: IfInterrupted.HOLD,  # a second announcement annoys and costs money
}


@dataclass(frozen=True)
class Notification:
    """One message an event type produces on a channel."""

    name: str  # the log's `template` value, e.g. "auth_otp"
    template: str  # template path without extension
    recipients: Callable[[EventSchema], list[str]]
    version: int = 1
    subject: str = ""  # email (and push) only: a Jinja2 string
    subjects: dict[str, str] = field(default_factory=dict)  # the subject's translations by language: {"sw": …}
    # Written to the event's customer, in their language (consumers/languages.py); False: to staff, in English.
    customer: bool = True
    extra_context: Callable[[EventSchema], dict[str, Any]] = field(default=lambda data: {})
    # Time-critical messages (an OTP) are not sent after this moment; None = never expires.
    expires: Callable[[EventSchema, datetime], datetime | None] = field(default=lambda data, emitted: None)
    options: dict[str, Any] = field(default_factory=dict)  # what only its channel reads (a WhatsApp template, …)
    if_interrupted: IfInterrupted | None = None  # None: its event type's category decides (IF_INTERRUPTED)

    def rule_if_interrupted(self, data: EventSchema) -> IfInterrupted:
        return self.if_interrupted or IF_INTERRUPTED[data.category]


def recipients_from(field_name: str) -> Callable[[EventSchema], list[str]]:
    """Recipients read from a field holding one address (or number), a list of them, or None."""
    def recipients(data: EventSchema) -> list[str]:
        value = getattr(data, field_name)
        if value is None:
            return []
        return [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]
    recipients.__name__ = f"recipients_from_{field_name}"
    return recipients


def expires_after_minutes(data: EventSchema, emitted: datetime) -> datetime:
    return emitted + timedelta(minutes=data.expiry_minutes)
