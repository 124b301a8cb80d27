"""Building one WhatsApp message: the Cloud API's JSON body, and what the log keeps of it.

A template message names the approved template and fills its parameters from the event:

    {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "254712345678",
     "type": "template", "template": {"name": …, "language": {"code": "en"},
     "components": [{"type": "body", "parameters": [{"type": "text", "text": …}, …]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", …}]}]}}

A text message (inside the customer-service window) carries the rendered .txt as `text.body`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from consumers import rendering
from consumers.languages import Language, translated, written_in
from consumers.notifications import Notification
from consumers.whatsapp.template_config import OTP_MAX_LENGTH, TemplateConfig
from outbox.events.base import EventSchema

MASK = "******"
TEXT_MAX_LENGTH = 4096  # Meta: the body of a text message
PARAMETER_MAX_LENGTH = 1024  # Meta: a body, and so any of its parameters


class MessageKind(str, Enum):
    TEMPLATE = "template"
    TEXT = "text"


@dataclass(frozen=True)
class WhatsAppMessage:
    kind: MessageKind
    payload: dict[str, Any]  # the JSON body of POST /<phone-number-id>/messages
    logged_text: str  # what WhatsAppLog.message keeps: secrets masked
    template: TemplateConfig | None = None  # the approved template it is, or (for a text) falls back to
    fallback: WhatsAppMessage | None = None  # for a text: the template to send if the window has closed


def context_for(notification: Notification, data: EventSchema, language: Language = Language.EN) -> dict[str, Any]:
    # `language` is what the text is written in, not the event's field of that name: an approved template's
    # parameters are filled in its own language (English), a date too.
    return {**data.revealed(), **notification.extra_context(data), "language": language.value}


def wa_number(phone_number: str) -> str:
    """+254712345678 -> 254712345678: the Cloud API's `to` is the number's digits."""
    return phone_number.lstrip("+")


def _parameter(expression: str, context: dict[str, Any], what: str) -> str:
    # Meta refuses a parameter with a newline, a tab or more than four spaces in a row, and an empty one.
    value = " ".join(rendering.render_string(expression, context).split())
    if not value:
        raise ValueError(f"{what} ({expression!r}) is empty for this event; Meta refuses empty parameters")
    if len(value) > PARAMETER_MAX_LENGTH:
        raise ValueError(f"{what} ({expression!r}) is {len(value)} characters, over Meta's {PARAMETER_MAX_LENGTH}")
    return value


def template_message(config: TemplateConfig, notification: Notification, data: EventSchema,
                     phone_number: str) -> WhatsAppMessage:
    context = context_for(notification, data)
    body = [_parameter(expr, context, f"body parameter {{{{{i}}}}} of {config.describe()}")
            for i, expr in enumerate(config.body, 1)]
    buttons = [(button, _parameter(button.value, context, f"button {button.index} of {config.describe()}"))
               for button in config.buttons]
    if config.category == "AUTHENTICATION" and len(body[0]) > OTP_MAX_LENGTH:
        raise ValueError(f"the code is {len(body[0])} characters; an authentication template takes at most "
                         f"{OTP_MAX_LENGTH}")
    components: list[dict[str, Any]] = []
    if body:
        components.append({"type": "body", "parameters": [{"type": "text", "text": value} for value in body]})
    for button, value in buttons:
        parameter = {"type": "text", "text": value} if button.sub_type == "url" else {"type": "payload", "payload": value}
        components.append({"type": "button", "sub_type": button.sub_type, "index": str(button.index),
                           "parameters": [parameter]})
    template: dict[str, Any] = {"name": config.name, "language": {"code": config.language}}
    if components:
        template["components"] = components
    shown = [f"{{{{{i}}}}}={value}" for i, value in enumerate(body, 1)]
    shown += [f"button {button.index}={value}" for button, value in buttons]
    logged = f"template {config.describe()}" + (": " + "; ".join(shown) if shown else "")
    return WhatsAppMessage(MessageKind.TEMPLATE, _envelope(phone_number, "template", template),
                           mask_secrets(logged, data), template=config)


def text_message(notification: Notification, data: EventSchema, phone_number: str,
                 fallback: WhatsAppMessage, language: Language = Language.EN) -> WhatsAppMessage:
    """The text in `language` (English if it has no translation). The approved template it falls back to
    is the one configured, whatever the language: Meta sends only the languages submitted there."""
    language = written_in(notification, language, [f"{notification.template}.txt"])
    path = translated(f"{notification.template}.txt", language)
    text = rendering.render(path, context_for(notification, data, language)).strip()
    if not text:
        raise ValueError(f"{path} rendered an empty message")
    if len(text) > TEXT_MAX_LENGTH:
        raise ValueError(f"{path} rendered {len(text)} characters, over Meta's {TEXT_MAX_LENGTH}")
    return WhatsAppMessage(MessageKind.TEXT, _envelope(phone_number, "text", {"preview_url": False, "body": text}),
                           mask_secrets(text, data), template=fallback.template, fallback=fallback)


def _envelope(phone_number: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_number(phone_number),
            "type": kind, kind: content}


def mask_secrets(text: str, data: EventSchema) -> str:
    """The text with every secret field's value (the OTP code) replaced by MASK: the log is kept for a year."""
    for name in data.secret_fields():
        secret = getattr(data, name).get_secret_value()
        if secret:  # replacing "" would insert the mask between every character
            text = text.replace(secret, MASK)
    return text
