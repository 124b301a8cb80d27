"""What the preference page offers a recipient and how a change is recorded: one box per category (not critical)
× channel that delivers to the recipient's kind of key, each change a `preferences.set(source="link")` with the
box's words as the wording, recorded only when the state changes (a page saved twice adds nothing)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from chesanto_comms.conf import comms
from consumers import preferences
from consumers.channels import channel_class, names
from consumers.consent import key_kind
from consumers.models import ConsentChange
from consumers.preference_links import Link
from outbox.events.categories import Category

# What each category is, in the recipient's words (docs/recipients.md has the operator's).
CATEGORY_WORDS = {
    Category.TRANSACTIONAL: "About your orders: confirmations, invoices, receipts and deliveries",
    Category.OPERATIONAL: "Work messages for staff: reminders, schedules, stock alerts and reports",
    Category.MARKETING: "News and offers from {company}",
}
ONE_CLICK_WORDING = "Unsubscribe (one click, from the email's List-Unsubscribe header)"


@dataclass(frozen=True)
class Choice:
    category: Category
    channel: str
    label: str  # the exact words beside the box: the consent record's wording
    opted_in: bool

    @property
    def field(self) -> str:
        return f"{self.category}.{self.channel}"


def channels_for(key: str) -> list[str]:
    """The installed channels whose recipients are named by this kind of key (an address: email; a number:
    SMS, WhatsApp; a user: the inbox, push)."""
    kind = key_kind(key)
    return [name for name in names() if getattr(channel_class(name), "consent_key_kind", None) == kind]


def label(category: Category, channel: str) -> str:
    words = CATEGORY_WORDS[category].format(company=comms.COMMS_COMPANY_NAME)
    return f"{words}, by {channel_class(channel).label}"


def choices(key: str) -> list[Choice]:
    return [Choice(category, channel, label(category, channel), preferences.get(key, category, channel))
            for category in CATEGORY_WORDS for channel in channels_for(key)]


@contextmanager
def one_change_at_a_time(key: str):
    """A transaction holding the recipient's lock: two saves at once (a double click, a mail provider's one-click
    POST racing the recipient's) read and record in turn, so neither records a change the other already made."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 17))", [f"consent:{key}"])
        yield


def apply(key: str, ticked: set[str], by=None) -> list[ConsentChange]:
    """Record the boxes whose state the recipient changed; the changes."""
    with one_change_at_a_time(key):
        return [preferences.set(key, choice.category, choice.channel, choice.field in ticked,
                                source=preferences.Source.LINK, wording=choice.label, by=by)
                for choice in choices(key) if (choice.field in ticked) != choice.opted_in]


def unsubscribe(link: Link) -> ConsentChange | None:
    """The one-click unsubscribe: out of the link's category on its channel; None when already out (idempotent:
    the consent record gains no row for a repeat)."""
    with one_change_at_a_time(link.key):
        if not preferences.get(link.key, link.category, link.channel):
            return None
        return preferences.set(link.key, link.category, link.channel, False, source=preferences.Source.LINK,
                               wording=ONE_CLICK_WORDING)
