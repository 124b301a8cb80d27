"""A JSON webhook for any other system (a POS, an automation tool), signed with the room's secret.

    POST <url>
    Content-Type: application/json; charset=utf-8
    X-Chesanto-Event-Id: <event id>
    X-Chesanto-Event-Type: <event type>
    X-Chesanto-Timestamp: <unix seconds>
    X-Chesanto-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

    {"id": …, "type": …, "time": …, "notification": …, "room": …, "title": …, "text": …,
     "fields": [{"label": …, "value": …}, …]}

How a receiver checks it: chesanto_chat/signing.py and the README. Any 2xx is taken; 408, 425, 429
(with Retry-After) and 5xx are retried; 401/403/404/410 reject the room; other 4xx fail the message.
"""
from __future__ import annotations

from typing import Any

from chesanto_chat import signing
from chesanto_chat.compose import ChatMessage
from chesanto_chat.rooms import Room
from chesanto_chat.services.base import Answer, ChatService, Verdict, http_verdict


class SignedWebhook(ChatService):
    name = "webhook"

    def payload(self, message: ChatMessage, room: Room) -> dict[str, Any]:
        return {"id": message.event_id, "type": message.event_type, "time": message.event_time,
                "notification": message.notification, "room": room.name, "title": message.title,
                "text": message.text, "fields": [{"label": label, "value": value} for label, value in message.fields]}

    def headers(self, room: Room, message: ChatMessage, body: bytes, now: float) -> dict[str, str]:
        return {**super().headers(room, message, body, now), signing.EVENT_ID: message.event_id,
                signing.EVENT_TYPE: message.event_type, **signing.sign(room.secret, body, now)}

    def verdict(self, answer: Answer) -> Verdict | None:
        return http_verdict(answer.status)
