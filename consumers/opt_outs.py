"""A recipient's opt-out of a whole channel by keyword (STOP and its synonyms, by SMS or WhatsApp; a provider's
opt-out callback), and the opt back in (START), recorded in one place for every channel and provider.

STOP means "no more messages from you on this channel": the number gets a suppression (reason `opted_out`,
source naming the provider, e.g. "twilio STOP") and a consent row out of each non-critical category it was in
(source `stop`). The suppression does not hold back a critical message (consumers/consent.py, BLOCKS_CRITICAL):
a login code the recipient asked for still goes. START undoes exactly that: the suppression is lifted, and each
category whose latest change was a STOP is set back in. A repeat changes nothing and records nothing.
"""
from __future__ import annotations

import enum

from django.db import transaction

from consumers import preferences, suppressions
from consumers.consent import recipient_key
from consumers.models import ConsentChange, Suppression
from outbox.events.categories import Category

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})  # the carriers' and Twilio's
START_WORDS = frozenset({"START", "UNSTOP"})
CHOICES = [category for category in Category if category != Category.CRITICAL]


class Keyword(enum.Enum):
    STOP = "stop"
    START = "start"


def keyword(text: str) -> Keyword | None:
    """The keyword a whole reply is (case and surrounding spaces ignored): "stop please" is not one."""
    word = text.strip().upper()
    return Keyword.STOP if word in STOP_WORDS else Keyword.START if word in START_WORDS else None


def stop(channel: str, number: str, source: str, wording: str) -> bool:
    """Out of `channel` for `number`; whether anything changed. `wording`: what the recipient sent or did."""
    key = recipient_key(number)
    with transaction.atomic():
        changed = suppressions.suppress(channel, key, Suppression.Reason.OPTED_OUT, source, wording)
        for category in CHOICES:
            changed |= opt_out(channel, key, category, wording, note=f"{source} from {key}") is not None
    return changed


def opt_out(channel: str, number: str, category: Category, wording: str, note: str) -> ConsentChange | None:
    """Out of one category (WhatsApp's marketing opt-out); None when already out."""
    if not preferences.get(number, category, channel):
        return None
    return preferences.set(recipient_key(number), category, channel, False, source=preferences.Source.STOP, wording=wording,
                           note=note)


def start(channel: str, number: str, source: str, wording: str) -> bool:
    """Back in after a STOP: the opted-out suppression lifted, the categories a STOP took out set in again."""
    key = recipient_key(number)
    with transaction.atomic():
        changed = suppressions.lift(Suppression.objects.filter(channel=channel, address=key,
                                                               reason=Suppression.Reason.OPTED_OUT),
                                    by=None, reason=f"{source}: {wording}") > 0
        for category in CHOICES:
            changed |= resume(channel, key, category, wording, note=f"{source} from {key}") is not None
    return changed


def resume(channel: str, number: str, category: Category, wording: str, note: str) -> ConsentChange | None:
    """Back in to one category if a STOP (or a provider's opt-out) took it out; None otherwise: a recipient who
    opted out on the preference page, or never opted in to marketing, is not opted in by a keyword."""
    key = recipient_key(number)
    latest = ConsentChange.objects.filter(recipient=key, category=category, channel=channel).first()
    if latest is None or latest.source != preferences.Source.STOP or latest.opted_in:
        return None
    return preferences.set(key, category, channel, True, source=preferences.Source.STOP, wording=wording, note=note)


def apply(channel: str, number: str, text: str, provider: str) -> Keyword | None:
    """An inbound message: STOP or START acted on (the keyword), anything else left alone (None)."""
    word = keyword(text)
    if word is Keyword.STOP:
        stop(channel, number, f"{provider} STOP", f'replied "{text.strip()}"')
    elif word is Keyword.START:
        start(channel, number, f"{provider} START", f'replied "{text.strip()}"')
    return word
