"""Which language a message is written in, and which template file holds it.

A customer's message goes in the first of:
    the event's `language` field (outbox/events/fields.Language; the business knows best)
    → the recipient's preference (their profile's language, consumers/profiles.py: `recipient_preference`,
      a look-up in what their batch read, consumers/consent.py)
    → COMMS_DEFAULT_LANGUAGE (en unless set).

Translations are whole template files beside the English one, named by language before the
extension: `emails/sales/order_confirmation.html` (English) and `…/order_confirmation.sw.html`
(Swahili); a subject's translation is `Notification.subjects["sw"]`. A message whose translation
is missing goes in English, never fails: `manage.py check` names each missing one (chesanto.W008).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING

from jinja2 import TemplateNotFound

from chesanto_comms.conf import comms, generation
from consumers.notifications import Notification
from outbox.events.base import EventSchema

if TYPE_CHECKING:
    from consumers.consent import Facts

log = logging.getLogger(__name__)


class Language(str, Enum):
    EN = "en"  # the language every template is written in first; what a missing translation falls back to
    SW = "sw"


ENGLISH = Language.EN
NAMES = {Language.EN: "English", Language.SW: "Swahili"}


# The batch whose message is being rendered on this thread: what it read about its recipients (their profiles).
_batch_facts: ContextVar[Facts | None] = ContextVar("batch_facts", default=None)


@contextmanager
def recipients_of(facts: Facts | None) -> Iterator[None]:
    """While rendering a message of a batch, its recipients' preferences are those `facts` read (one query for
    the batch, consumers/consent.load): channels' `render` calls `choose` without knowing the batch."""
    token = _batch_facts.set(facts)
    try:
        yield
    finally:
        _batch_facts.reset(token)


def recipient_preference(recipient: str) -> Language | None:
    """The language the recipient (an address, a phone number, a user id) chose in their profile, or None: none
    chosen, or rendered outside a batch (the admin's preview). A look-up in what the batch read, never a query."""
    facts = _batch_facts.get()
    chosen = facts.language(recipient) if facts is not None else None
    return Language(chosen) if chosen else None


def choose(notification: Notification, data: EventSchema, recipient: str) -> Language:
    """The event's language, else the recipient's preference, else COMMS_DEFAULT_LANGUAGE; English for a
    message to staff (a notification with `customer=False`, or of an event type with no `language` field)."""
    if not (notification.customer and customer_facing(type(data))):
        return ENGLISH
    if given := getattr(data, "language", None):
        return Language(given)
    if preferred := recipient_preference(recipient):
        return Language(preferred)
    return Language(comms.COMMS_DEFAULT_LANGUAGE)


def translated(path: str, language: Language) -> str:
    """The path of `path` (an English template, "emails/sales/invoice.html") written in `language`:
    "emails/sales/invoice.sw.html". English is the path itself."""
    if language is ENGLISH:
        return path
    stem, dot, extension = path.rpartition(".")
    return f"{stem}.{language.value}.{extension}" if dot else f"{path}.{language.value}"


def customer_facing(data_type: type[EventSchema]) -> bool:
    """An event type written for customers in their language: its schema has a `language` field."""
    return "language" in data_type.model_fields


def written_in(notification: Notification, language: Language, files: list[str]) -> Language:
    """The language the notification goes in: `language` if every part of it is translated (each of
    `files`, English paths, and the subject if it has one), else English: a whole message in English
    reads better than one half translated."""
    if missing_parts := gaps(notification, language, files):
        log.warning("%s has no %s translation (%s); sent in English", notification.name, NAMES[language],
                    ", ".join(missing_parts))
        return ENGLISH
    return language


def gaps(notification: Notification, language: Language, files: list[str]) -> list[str]:
    """The parts of the notification with no translation into `language`: template files (as the
    translation's path) and its subject; empty for English."""
    if language is ENGLISH:
        return []
    parts = [translated(path, language) for path in files if missing(path, language)]
    if notification.subject and language.value not in notification.subjects:
        parts.append(f"its subject (Notification.subjects[{language.value!r}])")
    return parts


def subject(notification: Notification, language: Language) -> str:
    """The notification's subject (a Jinja2 string) in `language` (written_in said it has it): staff's override
    if one is in force (consumers/template_overrides.py), else the code's."""
    from consumers.template_overrides import in_force

    if (override := in_force().subject(notification.name, language.value)) is not None:
        return override
    return notification.subject if language is ENGLISH else notification.subjects[language.value]


def missing(path: str, language: Language) -> bool:
    return language is not ENGLISH and not _found(_search_key(), translated(path, language))


def _search_key() -> tuple[tuple[str, ...], int]:
    from consumers.rendering import search_path

    return tuple(search_path()), generation()


@lru_cache(maxsize=1024)
def _found(key: tuple[tuple[str, ...], int], path: str) -> bool:
    """Whether a template directory holds `path` (remembered per search path and settings generation:
    a look-up that misses searches every directory). Only whether it is there: a translation with a
    syntax error is found, and fails when rendered, as any template does."""
    from consumers.rendering import environment

    env = environment()
    try:
        env.loader.get_source(env, path)
    except TemplateNotFound:
        return False
    return True
