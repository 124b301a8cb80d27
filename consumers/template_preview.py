"""Rendering a message template from its event type's sample data, for the admin.

Each channel renders its own preview (`LoggedChannel.preview`); this finds the notification
behind a template name and turns any error into a message for the editor.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from consumers.channels import get_channel
from consumers.languages import Language, customer_facing, gaps
from consumers.template_catalog import entry_for
from outbox.events import get_event_type
from outbox.events.samples import sample


@dataclass(frozen=True)
class Preview:
    channel: str = ""
    subject: str = ""
    html: str = ""  # a whole HTML document (shown in a sandboxed frame)
    text: str = ""
    facts: tuple[tuple[str, str], ...] = ()  # what else the editor should know: ("encoding", "GSM7, 96 septets, 1 segment")
    error: str = ""
    untranslated: tuple[str, ...] = ()  # the parts with no translation into the language asked for (shown in English)


def languages_of(template_name: str) -> list[Language | None]:
    """The languages a template is previewed in: each one for a message to customers, else None (English only)."""
    entry = entry_for(template_name)
    if entry is None or not (entry.notification.customer and customer_facing(get_event_type(entry.event_type))):
        return [None]
    return list(Language)


def preview(template_name: str, language: Language | None = None) -> Preview:
    """The template rendered from its sample, in `language` (the sample's `language` field) if given."""
    entry = entry_for(template_name)
    if entry is None:
        return Preview(error=f"no channel sends a template named {template_name!r}")
    schema = get_event_type(entry.event_type)
    given = {"language": language.value} if language and customer_facing(schema) else {}
    data = schema.parse({**sample(entry.event_type), **given})
    try:
        if language is not None:
            channel = get_channel(entry.channel)
            files = [entry.notification.template + ext for ext in getattr(channel, "template_extensions", ())]
            if missing_parts := gaps(entry.notification, language, files):
                return replace(channel.preview(entry.notification, data), untranslated=tuple(missing_parts))
        return get_channel(entry.channel).preview(entry.notification, data)
    except Exception as exc:  # noqa: BLE001 - shown to the editor instead of a server error
        return Preview(entry.channel, error=f"{type(exc).__name__}: {exc}")
