"""Rendering a message template from its event type's sample data, for the admin."""
from __future__ import annotations

from dataclasses import dataclass

from consumers.template_catalog import entry_for
from outbox.events import get_event_type
from outbox.events.samples import sample

PREVIEW_RECIPIENT = {"email": "preview@chesanto.local", "sms": "+254700000000"}


@dataclass(frozen=True)
class Preview:
    channel: str = ""
    subject: str = ""
    html: str = ""
    text: str = ""
    sms_encoding: str = ""  # e.g. "GSM7, 96 septets, 1 segment"
    segments: int | None = None
    error: str = ""


def preview(template_name: str) -> Preview:
    entry = entry_for(template_name)
    if entry is None:
        return Preview(error=f"no channel sends a template named {template_name!r}")
    data = get_event_type(entry.event_type).parse(sample(entry.event_type))
    try:
        if entry.channel == "email":
            from consumers.email.compose import render_email

            email = render_email(entry.notification, data, PREVIEW_RECIPIENT["email"], attach=False)
            return Preview("email", subject=email.subject, html=email.html, text=email.text)
        if entry.channel == "sms":
            from consumers.sms.compose import render_sms

            sms = render_sms(entry.notification, data)
            return Preview("sms", text=sms.text, sms_encoding=str(sms.encoding), segments=sms.encoding.segments)
    except Exception as exc:  # noqa: BLE001 - shown to the editor instead of a server error
        return Preview(entry.channel, error=f"{type(exc).__name__}: {exc}")
    return Preview(entry.channel, error=f"no preview for the {entry.channel} channel")
