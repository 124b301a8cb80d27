"""Google Chat incoming webhooks: POST {"text": …} to
https://chat.googleapis.com/v1/spaces/<space>/messages?key=…&token=….

Google answers 200 with the created Message (`name`: spaces/…/messages/…, kept as the row's
provider_message_id). Errors are {"error": {"code", "message", "status"}}; 429 (a space takes about
one message a second) and 5xx are transient.
"""
from __future__ import annotations

from typing import Any

from chesanto_chat.compose import ChatMessage
from chesanto_chat.rooms import Room
from chesanto_chat.services.base import Answer, ChatService, Verdict, http_verdict
from consumers.providers import Sent

TEXT_MAX = 4096  # characters of a message's text


class GoogleChat(ChatService):
    name = "google_chat"

    def payload(self, message: ChatMessage, room: Room) -> dict[str, Any]:
        lines = [f"*{message.title}*", message.text]
        if message.fields:
            lines.append("\n".join(f"*{label}:* {value}" for label, value in message.fields))
        lines.append(f"_{message.event_type} · event {message.event_id}_")
        return {"text": "\n\n".join(lines)[:TEXT_MAX]}

    def verdict(self, answer: Answer) -> Verdict | None:
        return http_verdict(answer.status)

    def sent(self, answer: Answer) -> Sent:
        body = answer.json()
        name = body.get("name") if isinstance(body, dict) else None
        return Sent(provider_message_id=name if isinstance(name, str) else "", provider=self.name)
