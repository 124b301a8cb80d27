"""The host's code reads and changes a recipient's preferences here.

    from consumers import preferences

    preferences.get(user, "marketing", "email")            # False: marketing is opt-in only
    preferences.set("wanjiku@example.com", "marketing", "email", True, source="api",
                    wording="Send me offers by email", by=request.user)
    preferences.get("+254712345678", "transactional", "sms")   # True: the default
    preferences.history("wanjiku@example.com")             # every change, newest first: the consent record

A recipient is a user (any object with a `pk`), an email address or a phone number (consumers/consent.py,
`recipient_key`): a user's own preferences are those of the channels that deliver to users (the inbox, push);
an address's are email's, a number's SMS and WhatsApp's. A change is a new row of the history; nothing is
ever edited, and the current state is the latest change (or the default, `COMMS_CONSENT_DEFAULTS`).
`critical` messages are always sent: their preference cannot be set.
"""
from __future__ import annotations

from consumers.consent import current, recipient_key
from consumers.models import ConsentChange
from outbox.events.categories import Category

Source = ConsentChange.Source


class PreferenceError(ValueError):
    """A preference that cannot be recorded; the message says which part and what to do."""


def _category(category: Category | str) -> Category:
    try:
        value = Category(category)
    except ValueError:
        raise PreferenceError(f"{category!r} is not a category: use one of {', '.join(Category)}") from None
    return value


def _channel(channel: str) -> str:
    from consumers.channels import names

    if channel not in names():
        raise PreferenceError(f"{channel!r} is not an installed channel: use one of {', '.join(names())}")
    return channel


def get(recipient, category: Category | str, channel: str) -> bool:
    """Whether `recipient` is opted in to `category` messages on `channel` now."""
    category, channel = _category(category), _channel(channel)
    history = ConsentChange.objects.filter(recipient=recipient_key(recipient), category=category, channel=channel)
    return current(history.order_by("-created_at", "-pk")[:1], category, channel)


def set(recipient, category: Category | str, channel: str, opted_in: bool, *, source: Source | str = Source.API,
        wording: str = "", by=None, note: str = "") -> ConsentChange:
    """Record a change (always a new row, even when the state is the same: it is the record of being asked)."""
    category, channel = _category(category), _channel(channel)
    if category == Category.CRITICAL:
        raise PreferenceError("critical messages (login codes, password resets, security alerts) are always sent: "
                              "no preference is kept for them")
    if source not in Source.values:
        raise PreferenceError(f"source {source!r}: use one of {', '.join(Source.values)}")
    try:
        key = recipient_key(recipient)
    except ValueError as exc:
        raise PreferenceError(f"{recipient!r} names no recipient: give a user, an email address or a phone number "
                              f"({exc})") from None
    return ConsentChange.objects.create(recipient=key, category=category, channel=channel, opted_in=bool(opted_in),
                                        source=source, wording=wording, changed_by=by, note=note[:255])


def history(recipient) -> list[ConsentChange]:
    """Every change of `recipient`'s preferences, newest first."""
    return list(ConsentChange.objects.filter(recipient=recipient_key(recipient)).order_by("-created_at", "-pk"))
