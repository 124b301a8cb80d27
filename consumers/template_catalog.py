"""MessageTemplate rows mirror the templates the channels use (name, type, path, subject,
version, required context). They are synced after every `migrate`, so the admin lists
exactly what the code sends, and each log row's (template, template_version) names one row. The sync creates
missing rows and updates only that file-derived metadata: `is_active` and the versions are staff's
(docs/templates.md), never overwritten."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from consumers.channels import channel_class, names
from consumers.delivery import LoggedChannel
from consumers.notifications import Notification
from outbox.events import get_event_type


@dataclass(frozen=True)
class CatalogueEntry:
    channel: str
    event_type: str
    notification: Notification
    extension: str  # of the channel's main template file: ".html" for email, ".txt" for SMS

    @property
    def template_path(self) -> str:
        return self.notification.template + self.extension


def catalogue() -> list[CatalogueEntry]:
    entries = []
    for channel_name in names():
        channel = channel_class(channel_name)
        if issubclass(channel, LoggedChannel):
            for event_type, notifications in channel.notifications.items():
                entries.extend(CatalogueEntry(channel_name, event_type, n, channel.template_extensions[0])
                               for n in notifications)
    return entries


@cache
def categories() -> dict[str, str]:
    """Each notification's category (its event type's), by template name: what the admin shows."""
    return {entry.notification.name: str(get_event_type(entry.event_type).category) for entry in catalogue()}


def entry_for(template_name: str) -> CatalogueEntry | None:
    return next((e for e in catalogue() if e.notification.name == template_name), None)


def sync_message_templates() -> tuple[int, int]:
    """Create or update one MessageTemplate per notification (its metadata only); return (created, updated)."""
    from consumers.models import MessageTemplate

    created = updated = 0
    for entry in catalogue():
        schema = get_event_type(entry.event_type)
        values = {
            "type": entry.channel.upper(),
            "subject": entry.notification.subject,
            "template_path": entry.template_path,
            "description": f"{entry.event_type} ({entry.channel})",
            "version": entry.notification.version,
            "required_context": [name for name, field in schema.model_fields.items() if field.is_required()],
        }
        row, was_created = MessageTemplate.objects.get_or_create(name=entry.notification.name, defaults=values)
        if was_created:
            created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.save()
            updated += 1
    return created, updated
