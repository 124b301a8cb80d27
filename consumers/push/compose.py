"""Building one push notification: its title (the notification's `subject`), its body (the
template, push/<domain>/<name>.txt), the data the app reads, and how urgent it is.

A push shows on a lock screen and passes through Google (and Apple), so templates see secret
fields masked: a push never carries a code or a password. Title and body are clipped to what a
phone shows (TITLE_MAX, BODY_MAX characters); a message over FCM's 4096-byte limit is a render
error.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from consumers import rendering
from consumers.languages import ENGLISH, subject
from consumers.notifications import Notification
from outbox.events.base import EventSchema

TITLE_MAX = 80  # characters; a phone shows one or two lines of title
BODY_MAX = 240  # characters; an expanded notification shows about four lines
FCM_PAYLOAD_LIMIT = 4096  # bytes of notification and data together
RESERVED_DATA_KEYS = ("from", "notification", "message_type")  # and any key starting "google" or "gcm"


class PushTooLarge(ValueError):
    """A rendered push is over FCM's payload limit."""


@dataclass(frozen=True)
class PushOptions:
    """What a push notification declares besides its template (Notification.options["push"])."""

    priority: Literal["high", "normal"] = "normal"  # high: shown at once, waking the device
    ttl_seconds: int | None = None  # how long FCM keeps it for an offline device; None = FCM's 4 weeks
    data: Callable[[EventSchema], dict[str, str]] = field(default=lambda data: {})  # for the app: ids, a link

    @classmethod
    def of(cls, notification: Notification) -> "PushOptions":
        return notification.options.get("push", cls())


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, str]
    priority: str
    ttl_seconds: int | None

    def payload(self, token: str, now: float | None = None) -> dict[str, Any]:
        """The FCM v1 `message` for one device token."""
        high = self.priority == "high"
        android: dict[str, Any] = {"priority": "HIGH" if high else "NORMAL"}
        apns: dict[str, Any] = {"headers": {"apns-priority": "10" if high else "5"},
                                "payload": {"aps": {"sound": "default"}}}
        if self.ttl_seconds is not None:
            android["ttl"] = f"{self.ttl_seconds}s"
            apns["headers"]["apns-expiration"] = str(int((time.time() if now is None else now) + self.ttl_seconds))
        return {"token": token, "notification": {"title": self.title, "body": self.body}, "data": self.data,
                "android": android, "apns": apns}


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def render_push(notification: Notification, data: EventSchema, **about: str) -> PushMessage:
    """`about`: what every push's data carries besides the notification's own (event id and type)."""
    options = PushOptions.of(notification)
    context = {**data.model_dump(), **notification.extra_context(data),  # secrets stay SecretStr: masked
               "language": "en"}  # to staff, in English: not the event's `language` (its customer's)
    title = clip(rendering.render_string(subject(notification, ENGLISH), context), TITLE_MAX)  # staff's, if in force
    body = clip(rendering.render(f"{notification.template}.txt", context), BODY_MAX)
    if not title or not body:
        raise ValueError(f"{notification.template}: the push rendered an empty {'title' if not title else 'body'}")
    payload_data = {key: str(value) for key, value in
                    {**about, "template": notification.name, **options.data(data)}.items()}
    for key in payload_data:
        if key in RESERVED_DATA_KEYS or key.startswith(("google", "gcm")):
            raise ValueError(f"{notification.name}: data key {key!r} is reserved by FCM")
    size = len(json.dumps({"title": title, "body": body, "data": payload_data}, ensure_ascii=False).encode())
    if size > FCM_PAYLOAD_LIMIT:
        raise PushTooLarge(f"{notification.name}: the push is {size} bytes, over FCM's {FCM_PAYLOAD_LIMIT}")
    return PushMessage(title, body, payload_data, options.priority, options.ttl_seconds)
