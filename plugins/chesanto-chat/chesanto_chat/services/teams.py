"""Microsoft Teams incoming webhooks: POST a message with one Adaptive Card attachment.

The card is what both kinds of Teams webhook take: the Office 365 connector's
(https://….webhook.office.com/webhookb2/…, which answers 200 with the body `1`) and the Workflows
one that replaces it (https://….logic.azure.com/workflows/…, which answers 202). 429 and 5xx are
transient; 429 may carry Retry-After.
"""
from __future__ import annotations

from typing import Any

from chesanto_chat.compose import ChatMessage
from chesanto_chat.rooms import Room
from chesanto_chat.services.base import Answer, ChatService, Verdict, http_verdict, retry

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class Teams(ChatService):
    name = "teams"

    def payload(self, message: ChatMessage, room: Room) -> dict[str, Any]:
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": message.text, "wrap": True},
        ]
        if message.fields:
            body.append({"type": "FactSet", "facts": [{"title": label, "value": value}
                                                       for label, value in message.fields]})
        body.append({"type": "TextBlock", "text": f"{message.event_type} · event {message.event_id}",
                     "isSubtle": True, "size": "Small", "wrap": True})
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4", "body": body}
        return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None,
                                                    "content": card}]}

    def verdict(self, answer: Answer) -> Verdict | None:
        # The connector once answered a throttled post with HTTP 200 and this text as the body.
        if answer.status == 200 and "HTTP error 429" in answer.body:
            return retry("Teams throttled the webhook")
        return http_verdict(answer.status)
