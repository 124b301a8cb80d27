"""Which emails each event type produces: template, subject, recipients, extra context.

Adding an email for an event type is one entry in EMAILS; its templates live in
templates/emails/<domain>/<name>.html and .txt.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from outbox.events.base import EventSchema


def to_email_field(data: EventSchema) -> list[str]:
    return [data.email]


def no_extra_context(data: EventSchema) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class EmailNotification:
    name: str  # the log's `template` value, e.g. "auth_invitation"
    template: str  # path without extension: "<template>.html" and "<template>.txt"
    subject: str  # a Jinja2 string rendered with the same context
    version: int = 1
    recipients: Callable[[EventSchema], list[str]] = to_email_field
    extra_context: Callable[[EventSchema], dict[str, Any]] = field(default=no_extra_context)


def otp_context(data: EventSchema) -> dict[str, Any]:
    return {"purpose_label": "login verification" if data.purpose == "login" else "password reset"}


EMAILS: dict[str, list[EmailNotification]] = {
    "auth.user_invited": [
        EmailNotification("auth_invitation", "emails/auth/invitation", "Welcome to Chesanto Bakery Management System"),
    ],
    "auth.otp_requested": [
        EmailNotification(
            "auth_otp", "emails/auth/otp", "Your Verification Code - Chesanto Bakery", extra_context=otp_context
        ),
    ],
}
