"""One chat message, service-neutral: a title (the notification's `subject`, a Jinja2 string), a text
(its template, message_templates/chat/<domain>/<name>.txt), labelled fields and the event it tells of.
Each service turns it into its own payload (chesanto_chat/services/).

Templates see secret fields masked, as push does: a chat room is read by many, so a message never
carries a code or a password.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from consumers import rendering
from consumers.languages import ENGLISH, subject  # the notification's, or staff's version in the admin
from consumers.notifications import Notification
from outbox.events.base import EventSchema

TITLE_MAX = 150  # Slack's header block takes 150 characters; the others show about as much
TEXT_MAX = 3000  # Slack's section block; Teams and Google Chat take more, none needs it
FIELDS_MAX = 10  # Slack's section takes ten fields


@dataclass(frozen=True)
class ChatOptions:
    """What a chat notification declares besides its template (Notification.options["chat"])."""

    fields: Callable[[EventSchema], list[tuple[str, str]]] = field(default=lambda data: [])

    @classmethod
    def of(cls, notification: Notification) -> "ChatOptions":
        return notification.options.get("chat", cls())


@dataclass(frozen=True)
class ChatMessage:
    notification: str  # its name, the log's `template`
    title: str
    text: str
    fields: tuple[tuple[str, str], ...]
    event_id: str
    event_type: str
    event_time: str  # RFC 3339, UTC; "" when unknown


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def render_chat(notification: Notification, data: EventSchema, *, event_id: str, event_type: str,
                event_time: str) -> ChatMessage:
    context = {**data.model_dump(), **notification.extra_context(data)}  # secrets stay SecretStr: masked
    title = clip(" ".join(rendering.render_string(subject(notification, ENGLISH), context).split()), TITLE_MAX)
    text = clip(rendering.render(f"{notification.template}.txt", context).strip(), TEXT_MAX)
    if not title or not text:
        raise ValueError(f"{notification.template}: the chat message rendered an empty {'title' if not title else 'text'}")
    fields = tuple((str(label), str(value)) for label, value in ChatOptions.of(notification).fields(data)
                   if str(value))[:FIELDS_MAX]
    return ChatMessage(notification.name, title, text, fields, event_id, event_type, event_time)
