"""Who wants what: a recipient's preferences per category × channel, and each channel's suppression list,
decided here and looked up once per batch.

A recipient is named by a *key*: `user:<pk>` for a user (the inbox, push), the address for email (lower
case), the E.164 number for SMS and WhatsApp (`recipient_key`). A channel says which key each of its
recipients has (`LoggedChannel.consent_keys`); a suppression names the recipient as the channel's log does.

The rules, in the order the policy applies them (consumers/policy.py):

- **preferences**: the latest `ConsentChange` of (key, category, channel) decides; without one, the default
  (`COMMS_CONSENT_DEFAULTS`: marketing out, the rest in). A `critical` message ignores preferences.
- **suppression**: an active `Suppression` of (channel, address) withholds every message, except that a
  `critical` one still goes when the suppression is about wanting mail (a complaint, an opt-out of the channel)
  rather than about an address that cannot receive (a hard bounce, a number or token the provider calls
  invalid) or a staff decision: a login code the recipient asked for is still wanted, but a dead address
  only costs money and sender reputation.

`load` reads what a batch needs in three queries (the latest change per key and category, the active
suppressions, and the recipients' profiles: time zone, quiet hours, language; consumers/profiles.py); the steps
then decide from dictionaries, so a message costs a few look-ups.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from chesanto_comms.conf import comms, generation
from consumers.models import ConsentChange, RecipientProfile, Suppression
from outbox.events.categories import Category

if TYPE_CHECKING:
    from consumers.delivery import LoggedChannel

Reason = Suppression.Reason

# Suppressions a critical message does not pass: the address cannot receive, or staff said so.
BLOCKS_CRITICAL = frozenset({Reason.HARD_BOUNCE, Reason.INVALID, Reason.MANUAL})


def recipient_key(recipient: object) -> str:
    """The key a recipient's preferences are kept under: a user (any object with a `pk`), an email address or a
    phone number. Raises ValueError for text that is neither an address nor a valid number."""
    if hasattr(recipient, "pk"):
        return f"user:{recipient.pk}"
    text = str(recipient).strip()
    if text.startswith("user:"):
        return text
    if "@" in text:
        return text.lower()
    from outbox.events.phones import e164

    return e164(text)


class KeyKind(StrEnum):
    """What a preference key names; a channel declares the kind its recipients' keys are (`consent_key_kind`)."""

    USER = "user"
    ADDRESS = "address"
    NUMBER = "number"


def key_kind(key: str) -> KeyKind:
    if key.startswith("user:"):
        return KeyKind.USER
    return KeyKind.ADDRESS if "@" in key else KeyKind.NUMBER


def address_key(recipient: str) -> str:
    """A recipient as a suppression names it: addresses compared without case, the rest as they are."""
    return recipient.lower() if "@" in recipient else recipient


# --- defaults ------------------------------------------------------------------------------------
_defaults_cache: tuple[int, dict[str, bool]] = (-1, {})


def _defaults() -> dict[str, bool]:
    global _defaults_cache
    if _defaults_cache[0] != generation():
        _defaults_cache = (generation(), {where: state == "in" for where, state in comms.COMMS_CONSENT_DEFAULTS.items()})
    return _defaults_cache[1]


def default_opted_in(category: Category | str, channel: str) -> bool:
    """Whether a recipient who never said is opted in: `category.channel`, else `category`, else in."""
    if category == Category.CRITICAL:
        return True
    defaults = _defaults()
    return defaults.get(f"{category}.{channel}", defaults.get(str(category), True))


def current(history: Iterable[ConsentChange], category: Category | str, channel: str) -> bool:
    """The state a history of changes (of one key, category and channel) leaves: the latest change, else the default."""
    latest = max(history, key=lambda change: (change.created_at, change.pk or 0), default=None)
    return latest.opted_in if latest is not None else default_opted_in(category, channel)


# --- what a batch needs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Facts:
    """The preferences and suppressions of a batch's recipients on one channel."""

    channel: str
    keys: dict[str, str] = field(default_factory=dict)  # recipient -> its preference key
    choices: dict[tuple[str, str], bool] = field(default_factory=dict)  # (key, category) -> opted in (latest change)
    suppressed: dict[str, Suppression] = field(default_factory=dict)  # address_key(recipient) -> its active row
    profiles: dict[str, RecipientProfile] = field(default_factory=dict)  # preference key -> the recipient's profile

    def opted_in(self, recipient: str, category: Category) -> bool:
        key = self.keys.get(recipient)
        choice = self.choices.get((key, str(category))) if key is not None else None
        return default_opted_in(category, self.channel) if choice is None else choice

    def suppression(self, recipient: str) -> Suppression | None:
        return self.suppressed.get(address_key(recipient))

    def profile(self, recipient: str) -> RecipientProfile | None:
        key = self.keys.get(recipient)
        return self.profiles.get(key) if key is not None else None

    def language(self, recipient: str) -> str | None:
        """The language the recipient's profile chose, or None (consumers/languages.py asks while rendering)."""
        profile = self.profile(recipient)
        return profile.language if profile is not None and profile.language else None


def load(channel: LoggedChannel, recipients: Iterable[str]) -> Facts:
    """The facts of these recipients on `channel`, in three queries (four for a channel whose keys need one)."""
    recipients = set(recipients)
    if not recipients:
        return Facts(channel.name)
    keys = channel.consent_keys(recipients)
    latest = (ConsentChange.objects.filter(channel=channel.name, recipient__in=set(keys.values()))
              .order_by("recipient", "category", "-created_at", "-pk").distinct("recipient", "category")
              .values_list("recipient", "category", "opted_in"))
    choices = {(key, category): opted_in for key, category, opted_in in latest}
    active = Suppression.objects.filter(channel=channel.name, lifted_at__isnull=True,
                                        address__in={address_key(r) for r in recipients})
    profiles = RecipientProfile.objects.filter(key__in=set(keys.values()))
    return Facts(channel.name, keys, choices, {row.address: row for row in active}, {row.key: row for row in profiles})
