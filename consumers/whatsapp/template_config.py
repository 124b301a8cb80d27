"""Which approved WhatsApp template a notification is sent as, and how the event fills it.

Each notification declares its template in code (notifications.py: `options["template"]`); the
WHATSAPP_TEMPLATES setting overrides any of its keys per notification name, e.g.

    WHATSAPP_TEMPLATES = {"whatsapp_sales_order_confirmation": {"name": "duka_order_ok", "language": "sw"}}

A template's parameters are Jinja2 expressions over the event's fields (the same context as the
message templates): `body` fills {{1}}, {{2}}, … in order; `buttons` fill a button's dynamic
part (a URL button's suffix, a quick reply's payload; an authentication template's copy-code
button is a URL button at index 0 that takes the code). A configuration that cannot be sent is a
`TemplateConfigError` naming the notification and the key; `consume whatsapp` refuses to start on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from jinja2 import TemplateSyntaxError

from consumers import rendering
from consumers.notifications import Notification

CATEGORIES = ("AUTHENTICATION", "UTILITY", "MARKETING")
BUTTON_TYPES = ("url", "quick_reply")
KEYS = {"name", "language", "category", "body", "buttons"}
OTP_MAX_LENGTH = 15  # Meta: the code of an authentication template, at most 15 characters


class TemplateConfigError(ImproperlyConfigured):
    """A notification's WhatsApp template configuration is incomplete or unusable."""


@dataclass(frozen=True)
class ButtonParameter:
    index: int  # the button's position in the approved template
    sub_type: str  # "url" (its dynamic suffix; also the copy-code button) or "quick_reply" (its payload)
    value: str  # a Jinja2 expression


@dataclass(frozen=True)
class TemplateConfig:
    name: str  # as approved in WhatsApp Manager
    language: str  # the approved translation's code: "en", "en_US", "sw"
    category: str  # AUTHENTICATION, UTILITY or MARKETING: what Meta charges (docs/whatsapp.md)
    body: tuple[str, ...] = ()  # Jinja2 expressions for {{1}}, {{2}}, …
    buttons: tuple[ButtonParameter, ...] = field(default=())

    def describe(self) -> str:
        return f"{self.name} ({self.language})"


def _fail(notification: str, problem: str) -> TemplateConfigError:
    return TemplateConfigError(f"WhatsApp template of {notification}: {problem} (set it in WHATSAPP_TEMPLATES; "
                               "docs/whatsapp.md lists each notification's template)")


def _buttons(notification: str, raw: Any) -> tuple[ButtonParameter, ...]:
    if not isinstance(raw, (list, tuple)):
        raise _fail(notification, f"'buttons' must be a list, not {raw!r}")
    buttons = []
    for item in raw:
        if isinstance(item, ButtonParameter):
            buttons.append(item)
            continue
        if not isinstance(item, dict) or set(item) != {"index", "sub_type", "value"}:
            raise _fail(notification, f"a button is {{\"index\": 0, \"sub_type\": \"url\", \"value\": \"{{{{ … }}}}\"}}, "
                                      f"not {item!r}")
        if not isinstance(item["index"], int) or not 0 <= item["index"] <= 9:
            raise _fail(notification, f"button index {item['index']!r} is not 0-9")
        if item["sub_type"] not in BUTTON_TYPES:
            raise _fail(notification, f"button sub_type {item['sub_type']!r} is not one of {', '.join(BUTTON_TYPES)}")
        buttons.append(ButtonParameter(item["index"], item["sub_type"], str(item["value"])))
    return tuple(buttons)


def build(notification: str, base: TemplateConfig, override: dict[str, Any]) -> TemplateConfig:
    """`base` with the keys of `override` applied, checked."""
    if not isinstance(override, dict):
        raise _fail(notification, f"the override must be an object, not {override!r}")
    unknown = set(override) - KEYS
    if unknown:
        raise _fail(notification, f"unknown keys {sorted(unknown)}; use {sorted(KEYS)}")
    config = base
    for key in ("name", "language", "category"):
        if key in override:
            config = replace(config, **{key: str(override[key]).strip()})
    if "body" in override:
        if not isinstance(override["body"], (list, tuple)):
            raise _fail(notification, f"'body' must be a list of expressions, not {override['body']!r}")
        config = replace(config, body=tuple(str(item) for item in override["body"]))
    if "buttons" in override:
        config = replace(config, buttons=_buttons(notification, override["buttons"]))
    check(notification, config)
    return config


def check(notification: str, config: TemplateConfig) -> None:
    if not config.name:
        raise _fail(notification, "no template name")
    if not config.language:
        raise _fail(notification, f"no language code for template {config.name!r}")
    if config.category not in CATEGORIES:
        raise _fail(notification, f"category {config.category!r} is not one of {', '.join(CATEGORIES)}")
    if config.category == "AUTHENTICATION" and (
            len(config.body) != 1 or [(b.index, b.sub_type) for b in config.buttons] != [(0, "url")]):
        raise _fail(notification, "an authentication template takes the code twice: one body parameter and one "
                                  "url button parameter at index 0 (the copy-code button)")
    for expression in (*config.body, *(button.value for button in config.buttons)):
        if not expression.strip():
            raise _fail(notification, "an empty parameter expression (Meta refuses empty parameters)")
        try:
            rendering.environment().parse(expression)
        except TemplateSyntaxError as exc:
            raise _fail(notification, f"parameter {expression!r} is not a Jinja2 expression: {exc}") from None



def resolve(notification: Notification, overrides: dict[str, Any]) -> TemplateConfig:
    """The notification's template: its declaration with its WHATSAPP_TEMPLATES override applied."""
    base: TemplateConfig = notification.options["template"]
    return build(notification.name, base, overrides.get(notification.name, {}))
