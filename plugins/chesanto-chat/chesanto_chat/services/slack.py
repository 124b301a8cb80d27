"""Slack incoming webhooks: POST {"text": …, "blocks": […]} to https://hooks.slack.com/services/….

Slack answers 200 with the body `ok`. Refusals are 400/403/404/410 with a short code as the body
(https://api.slack.com/messaging/webhooks#handling_errors); 429 carries Retry-After; 5xx is Slack's.
"""
from __future__ import annotations

from typing import Any

from chesanto_chat.compose import ChatMessage, clip
from chesanto_chat.rooms import Room
from chesanto_chat.services.base import Answer, ChatService, Verdict, fail, http_verdict, reject, retry

# Slack's body codes -> what we do. A code not here falls back to the HTTP status.
CODES: dict[str, Verdict] = {
    "invalid_payload": fail("Slack could not read the message (a bug in the chat channel's payload)"),
    "too_many_attachments": fail("the message has more attachments than Slack takes"),
    "user_not_found": reject("the webhook's user no longer exists: make a new webhook"),
    "channel_not_found": reject("the webhook's channel no longer exists: make a new webhook"),
    "channel_is_archived": reject("the webhook's channel is archived: unarchive it or make a new webhook"),
    "action_prohibited": reject("a workspace admin restricted posting to the webhook's channel"),
    "posting_to_general_channel_denied": reject("only admins may post to the workspace's general channel"),
    "no_service": reject("the webhook was removed or disabled: make a new one and update CHAT_ROOMS"),
    "no_service_id": reject("the webhook URL is incomplete: copy it again from Slack"),
    "no_team": reject("the webhook's workspace no longer exists"),
    "team_disabled": reject("the webhook's workspace is disabled"),
    "invalid_token": reject("the webhook URL's token is not valid: copy it again from Slack"),
    "rate_limited": retry("Slack's rate limit (one message a second per webhook)"),
}


def mrkdwn(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally: only &, < and > are special (Slack's escaping rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(ChatService):
    name = "slack"

    def payload(self, message: ChatMessage, room: Room) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": message.title, "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(message.text)}},
        ]
        if message.fields:
            blocks.append({"type": "section", "fields": [
                {"type": "mrkdwn", "text": clip(f"*{mrkdwn(label)}*\n{mrkdwn(value)}", 2000)}
                for label, value in message.fields]})
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": mrkdwn(f"{message.event_type} · event {message.event_id}")}]})
        # `text` is what notifications and clients without blocks show.
        return {"text": mrkdwn(f"{message.title}\n{message.text}"), "blocks": blocks}

    def verdict(self, answer: Answer) -> Verdict | None:
        if answer.status == 200:
            return None
        code = answer.body.strip()
        if code in CODES:
            return CODES[code]
        return http_verdict(answer.status)
