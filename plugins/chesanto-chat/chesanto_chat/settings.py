"""The chat channel's settings: its rooms (each a service and a webhook URL, with a shared secret for
the generic webhook) and which event types go to which rooms.

Both are a dict in the Django settings or JSON text (in either place, or in the environment):

    CHAT_ROOMS = {
        "stores": {"service": "slack", "url": "https://hooks.slack.com/services/T…/B…/…"},
        "production": {"service": "teams", "url": "https://….webhook.office.com/…"},
        "admins": {"service": "google_chat", "url": "https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…"},
        "pos": {"service": "webhook", "url": "https://pos.example/hooks/chesanto", "secret": "…"},
    }
    CHAT_ROUTES = {"inventory.stock_low": ["stores", "pos"], "auth.security_alert": ["admins"]}

A webhook URL is a credential (whoever has it may post to the room), as is a secret: neither is ever
written to a log line, a log row or an error message; the rooms are named by name, their URLs by host.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chesanto_comms.conf import Kind, Setting, Settings
from chesanto_comms.env import SettingError
from consumers.channel_settings import delivery_settings

# Where each staff event goes unless CHAT_ROUTES says otherwise: rooms a host names in CHAT_ROOMS.
DEFAULT_ROUTES = {
    "inventory.stock_low": ["stores"],
    "production.schedule_published": ["production"],
    "auth.security_alert": ["admins"],
}


def _json_object(name: str, raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:  # the message names the position, never the text (it holds URLs)
        raise SettingError(f"{name} is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise SettingError(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


@dataclass(frozen=True)
class SecretObjectKind(Kind):
    """A dict in the Django settings, or JSON text; errors never quote the value (it holds credentials)."""

    def from_django(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.from_env(name, value)
        if not isinstance(value, dict):
            raise SettingError(f"settings.{name} is {type(value).__name__}, not a dict or JSON text")
        return value


SECRET_OBJECT = SecretObjectKind("a JSON object", _json_object, (dict,))

chat_settings = Settings(
    "the team-chat channel",
    Setting("CHAT_ROOMS", {}, "rooms by name, a dict or JSON: `{\"stores\": {\"service\": \"slack\", \"url\": …}}`; "
            "service is slack, teams, google_chat or webhook (which also takes `secret`); the URLs and secrets are "
            "credentials; empty = chat off (`consume chat` refuses to start)", SECRET_OBJECT),
    Setting("CHAT_ROUTES", DEFAULT_ROUTES, "event type -> room names, a dict or JSON",
            SECRET_OBJECT, shown="stock to `stores`, schedules to `production`, security alerts to `admins`"),
    *delivery_settings("CHAT", "team-chat", concurrency=8, timeout=10.0,
                       timeout_doc="seconds per webhook call (connect, and each read)"),
)
