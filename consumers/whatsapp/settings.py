"""The WhatsApp channel's settings."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chesanto_comms.conf import Kind, Setting, Settings
from chesanto_comms.env import SettingError
from consumers.channel_settings import delivery_settings


def parse_json_object(name: str, raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise SettingError(f"{name} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SettingError(f"{name} must be a JSON object (notification name -> template), not {type(value).__name__}")
    return value


@dataclass(frozen=True)
class JsonObjectKind(Kind):
    """A dict in Django settings, or JSON text (in either place)."""

    def from_django(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.from_env(name, value)
        return super().from_django(name, value)


JSON_OBJECT = JsonObjectKind("a JSON object", parse_json_object, (dict,))


def _template_overrides(value: dict) -> str | None:
    from consumers.whatsapp.notifications import check_overrides
    from consumers.whatsapp.template_config import TemplateConfigError

    try:
        check_overrides(value)
    except TemplateConfigError as exc:
        return str(exc)
    return None


whatsapp_settings = Settings(
    "the WhatsApp channel",
    Setting("WHATSAPP_ACCESS_TOKEN", "", "the Cloud API's bearer token (a system user's permanent token)"),
    Setting("WHATSAPP_PHONE_NUMBER_ID", "", "the business phone number's id (not the number) messages are sent from"),
    Setting("WHATSAPP_BUSINESS_ACCOUNT_ID", "", "the WhatsApp Business Account's id: when set, `consume whatsapp` "
            "checks that every configured template is approved; empty = not checked"),
    Setting("WHATSAPP_API_URL", "https://graph.facebook.com", "Graph API base URL (override for a local test server)"),
    Setting("WHATSAPP_API_VERSION", "v23.0", "Graph API version in the request path"),
    Setting("WHATSAPP_APP_SECRET", "", "the Meta app's secret, which signs the webhook's X-Hub-Signature-256; "
            "empty = WhatsApp webhooks off"),
    Setting("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "", "the verify token given in the app's webhook settings "
            "(the GET handshake); empty = handshake refused"),
    Setting("WHATSAPP_TEMPLATES", {}, "per-notification template overrides, a dict or JSON: `{\"whatsapp_sales_"
            "order_confirmation\": {\"name\": …, \"language\": …, \"body\": [\"{{ order_id }}\", …]}}` "
            "(docs/whatsapp.md)", JSON_OBJECT, _template_overrides),
    *delivery_settings("WHATSAPP", "WhatsApp", concurrency=16, timeout=10.0, timeout_doc="seconds per Cloud API call"),
)
