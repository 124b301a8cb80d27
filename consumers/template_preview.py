"""Rendering a message template from its event type's sample data, for the admin.

Each channel renders its own preview (`LoggedChannel.preview`); this finds the notification
behind a template name and turns any error into a message for the editor.
"""
from __future__ import annotations

from dataclasses import dataclass

from consumers.channels import get_channel
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


def preview(template_name: str) -> Preview:
    entry = entry_for(template_name)
    if entry is None:
        return Preview(error=f"no channel sends a template named {template_name!r}")
    data = get_event_type(entry.event_type).parse(sample(entry.event_type))
    try:
        return get_channel(entry.channel).preview(entry.notification, data)
    except Exception as exc:  # noqa: BLE001 - shown to the editor instead of a server error
        return Preview(entry.channel, error=f"{type(exc).__name__}: {exc}")
