"""Building one email (subject, HTML with inlined CSS, plain text, attachments) for one recipient."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from chesanto_comms.conf import comms
from consumers import preference_links, rendering
from consumers.email.settings import email_settings
from consumers.languages import Language, translated, written_in
from consumers.languages import subject as subject_in
from consumers.notifications import Notification
from outbox.events.base import EventSchema

MESSAGE_ID_DOMAIN = "chesanto.comms"
CHANNEL = "email"  # the channel the preference links name


class AttachmentError(ValueError):
    """An attachment named by reference cannot be attached (missing, outside storage, too large)."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    attachments: list[Path] = field(default_factory=list)
    language: Language = Language.EN  # what it is written in: English where a translation is missing
    headers: tuple[tuple[str, str], ...] = ()  # beside From, To, Subject…: List-Unsubscribe for a non-critical email


def render_email(notification: Notification, data: EventSchema, recipient: str, attach: bool = True,
                 language: Language = Language.EN) -> RenderedEmail:
    """The email in `language`, or in English if a part of it has no translation (languages.written_in)."""
    paths = [f"{notification.template}.html", f"{notification.template}.txt"]
    language = written_in(notification, language, paths)
    html_path, text_path = (translated(path, language) for path in paths)
    links = preference_links.urls(CHANNEL, data.category, recipient.lower())
    context = {**data.revealed(), **notification.extra_context(data), "recipient": recipient, "language": language.value,
               "preferences_url": links.page if links else ""}
    subject = " ".join(rendering.render_string(subject_in(notification, language), context).split())
    return RenderedEmail(
        subject=subject,
        html=rendering.render_html(html_path, context),
        text=rendering.render(text_path, context),
        attachments=[attachment_file(data.attachment_path)] if attach and hasattr(data, "attachment_path") else [],
        language=language,
        headers=unsubscribe_headers(links),
    )


def unsubscribe_headers(links: preference_links.Urls | None) -> tuple[tuple[str, str], ...]:
    """RFC 8058 one-click unsubscribe (Gmail's and Yahoo's bulk-sender rule): the signed https URL a mail provider
    POSTs `List-Unsubscribe=One-Click` to, and COMMS_UNSUBSCRIBE_MAILTO's mailbox when set (RFC 2369)."""
    if links is None:
        return ()
    targets = f"<{links.unsubscribe}>"
    if comms.COMMS_UNSUBSCRIBE_MAILTO:
        targets += f", <mailto:{comms.COMMS_UNSUBSCRIBE_MAILTO}?subject=unsubscribe>"
    return (("List-Unsubscribe", targets), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def storage_dir_problem(value: str) -> str | None:
    """What is wrong with REPORTS_STORAGE_DIR, or None. Empty is allowed: a report email then fails
    at render with a clear error (a dead letter) instead of the consumer refusing to start."""
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute():
        return f"REPORTS_STORAGE_DIR={value!r} is not an absolute path"
    if not path.is_dir():
        return f"REPORTS_STORAGE_DIR={value!r} is not an existing directory"
    if path.resolve().parent == path.resolve():
        return f"REPORTS_STORAGE_DIR={value!r} is the filesystem root: any file on the machine could be attached"
    return None


def attachment_file(relative_path: str) -> Path:
    """The stored file an event refers to, checked: inside REPORTS_STORAGE_DIR, present, not too large."""
    if not email_settings.REPORTS_STORAGE_DIR:
        raise AttachmentError(f"attachment {relative_path!r}: REPORTS_STORAGE_DIR is not set, so no file can be attached")
    root = Path(email_settings.REPORTS_STORAGE_DIR).resolve()
    path = (root / relative_path).resolve()
    if root not in path.parents:
        raise AttachmentError(f"attachment {relative_path!r} is outside REPORTS_STORAGE_DIR ({root})")
    if not path.is_file():
        raise AttachmentError(f"attachment {relative_path!r} not found in REPORTS_STORAGE_DIR ({root})")
    size = path.stat().st_size
    if size > email_settings.EMAIL_ATTACHMENT_MAX_BYTES:
        raise AttachmentError(
            f"attachment {relative_path!r} is {size} bytes; the limit is EMAIL_ATTACHMENT_MAX_BYTES={email_settings.EMAIL_ATTACHMENT_MAX_BYTES}"
        )
    return path


def message_id(event_id: uuid.UUID, template: str, recipient: str) -> str:
    """Derived from the log key, so a rare duplicate send is recognisable downstream."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{event_id}.{template}.{digest}@{MESSAGE_ID_DOMAIN}>"
