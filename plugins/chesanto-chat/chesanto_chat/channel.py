"""The team-chat channel: Slack, Microsoft Teams, Google Chat and signed JSON webhooks behind the
common LoggedChannel sequence (consumers/delivery.py).

Each recipient is a room name (CHAT_ROUTES); the room's service builds the payload and reads the
answer (chesanto_chat/services/). A 429 or 5xx is retried through the consume loop's retry topic after
the Retry-After the service sent (or the CHAT_RETRY_DELAY schedule, if longer).
"""
from __future__ import annotations

import requests
from django.core.exceptions import ImproperlyConfigured

from chesanto_chat.compose import ChatMessage, render_chat
from chesanto_chat.models import ChatLog
from chesanto_chat.notifications import CHAT
from chesanto_chat.rooms import RoomError, problems, rooms
from chesanto_chat.services import SERVICES
from chesanto_chat.settings import chat_settings
from consumers.delivery import LoggedChannel
from consumers.events import InboundEvent
from consumers.notifications import Notification
from consumers.providers import PermanentError, Sent, TransientError


class ChatChannel(LoggedChannel):
    name = "chat"
    label = "team chat"
    settings = chat_settings
    settings_prefix = "CHAT"
    template_extensions = (".txt",)
    log_model = ChatLog
    notifications = CHAT

    def __init__(self):
        # One kept-alive connection pool per channel instance: a sender borrows one instance at a time.
        self.session = requests.Session()

    def settings_problems(self) -> list[str]:
        return problems(sorted(self.notifications))

    def check(self) -> None:
        super().check()
        if not chat_settings.CHAT_ROOMS:
            raise ImproperlyConfigured("the chat channel has no rooms: set CHAT_ROOMS (and CHAT_ROUTES), as the "
                                       "chesanto-chat README shows")

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict:
        return {"provider": ""}

    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> ChatMessage:
        time = event.time.isoformat() if event.time else ""
        return render_chat(notification, event.data, event_id=str(event.id), event_type=event.type, event_time=time)

    def preview(self, notification: Notification, data):
        from consumers.template_preview import Preview

        message = render_chat(notification, data, event_id="(event id)", event_type="(event type)", event_time="")
        return Preview(self.name, subject=message.title, text=message.text,
                       facts=tuple((label, value) for label, value in message.fields))

    def describe(self, message: ChatMessage, entry: ChatLog) -> None:
        entry.title = message.title[:255]
        entry.text = message.text

    def send(self, message: ChatMessage, recipient: str, entry: ChatLog) -> Sent:
        try:
            room = rooms().get(recipient)
        except RoomError as exc:  # ours to fix: once CHAT_ROOMS is right, a retry sends
            raise TransientError(f"CHAT_ROOMS cannot be used: {exc}") from None
        if room is None:
            raise PermanentError(f"room {recipient!r} is not in CHAT_ROOMS (CHAT_ROUTES names it)", status="REJECTED")
        service = SERVICES[room.service]
        entry.service = entry.provider = service.name
        return service.send(self.session, room, message, self.delivery.timeout)

    def close(self) -> None:
        self.session.close()
