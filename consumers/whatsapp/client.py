"""The Cloud API over HTTP: POST {base}/{version}/{phone-number-id}/messages with a bearer token,
on one kept-alive session, within WHATSAPP_TIMEOUT.

Success is HTTP 200 with {"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
"messages": [{"id": "wamid.…"}]}; an error is HTTP 4xx/5xx with {"error": {"message", "type",
"code", "error_data": {"details"}, "fbtrace_id"}}, classified by its code (errors.py).
`approved_templates` reads the business account's templates, for the start-up check.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from django.core.exceptions import ImproperlyConfigured

from consumers.providers import Sent, TransientError, failed
from consumers.whatsapp.errors import meta_error, verdict_for
from consumers.whatsapp.settings import whatsapp_settings

PROVIDER = "meta"  # WhatsAppLog.provider and the metrics' provider label
TEMPLATE_PAGES = 20  # at most this many pages of 100 templates are read at start-up


class WhatsAppConfigError(ImproperlyConfigured):
    """A WHATSAPP_* setting is missing or unusable."""


@dataclass(frozen=True)
class ApprovedTemplate:
    """One template (in one language) as Meta lists it."""

    name: str
    language: str
    status: str  # APPROVED, PENDING, REJECTED, PAUSED, DISABLED, …
    category: str
    body_parameters: int  # the {{n}} placeholders of its BODY component


class CloudApiClient:
    def __init__(self, *, access_token: str, phone_number_id: str, base_url: str, version: str, timeout: float,
                 business_account_id: str = ""):
        for setting, value in (("WHATSAPP_ACCESS_TOKEN", access_token), ("WHATSAPP_PHONE_NUMBER_ID", phone_number_id)):
            if not value:
                raise WhatsAppConfigError(f"{setting} is empty: set it to send WhatsApp messages (docs/whatsapp.md, "
                                          "'What to configure at Meta')")
        self.phone_number_id, self.business_account_id = phone_number_id, business_account_id
        self.api = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self.timeout = timeout
        self.session = requests.Session()  # keeps the connection to graph.facebook.com open between messages
        self.session.headers["Authorization"] = f"Bearer {access_token}"

    @classmethod
    def from_settings(cls) -> CloudApiClient:
        return cls(
            access_token=whatsapp_settings.WHATSAPP_ACCESS_TOKEN,
            phone_number_id=whatsapp_settings.WHATSAPP_PHONE_NUMBER_ID,
            base_url=whatsapp_settings.WHATSAPP_API_URL,
            version=whatsapp_settings.WHATSAPP_API_VERSION,
            timeout=whatsapp_settings.WHATSAPP_TIMEOUT,
            business_account_id=whatsapp_settings.WHATSAPP_BUSINESS_ACCOUNT_ID,
        )

    def send(self, payload: dict[str, Any]) -> Sent:
        response = self._call("post", f"{self.api}/{self.phone_number_id}/messages", json=payload)
        body = self._json(response)
        if response.status_code >= 300 or "error" in body:
            raise self._error(response, body)
        messages = body.get("messages")
        message_id = messages[0].get("id") if isinstance(messages, list) and messages and isinstance(messages[0], dict) else None
        if not message_id:  # not retried: the message may have gone out
            raise meta_error(failed("unreadable answer"), f"Cloud API HTTP {response.status_code} without a message id: "
                                                          f"{self._excerpt(response)}")
        return Sent(provider_message_id=str(message_id), provider=PROVIDER)

    def approved_templates(self) -> dict[tuple[str, str], ApprovedTemplate]:
        """The business account's templates by (name, language); raises the classified error if Meta refuses."""
        url = f"{self.api}/{self.business_account_id}/message_templates"
        params: dict[str, Any] | None = {"fields": "name,language,status,category,components", "limit": 100}
        found: dict[tuple[str, str], ApprovedTemplate] = {}
        for _ in range(TEMPLATE_PAGES):
            response = self._call("get", url, params=params)
            body = self._json(response)
            if response.status_code >= 300 or "error" in body:
                raise self._error(response, body)
            for item in body.get("data") or []:
                template = _template(item)
                found[(template.name, template.language)] = template
            url, params = (body.get("paging") or {}).get("next"), None  # `next` carries the query
            if not url:
                break
        return found

    def _call(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            # The timeout bounds the connect and each read, so a stalled API cannot hold the
            # consumer past Kafka's max.poll.interval.ms.
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            # Meta may have taken the message before the timeout: a retry can duplicate it
            # (at-least-once), which beats losing an OTP.
            raise TransientError(f"Cloud API: no answer within WHATSAPP_TIMEOUT={self.timeout}s "
                                 f"({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            self.session.close()  # drop a connection that broke; the next call opens a new one
            raise TransientError(f"Cloud API: {type(exc).__name__}: {exc}") from exc

    def _error(self, response: requests.Response, body: dict[str, Any]) -> Exception:
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        verdict = verdict_for(code, response.status_code)
        details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
        text = "; ".join(str(part) for part in (error.get("message"), details) if part) or self._excerpt(response)
        trace = f", fbtrace_id {error['fbtrace_id']}" if error.get("fbtrace_id") else ""
        return meta_error(verdict, f"Cloud API HTTP {response.status_code} error {code}: {text} ({verdict.meaning}{trace})",
                          code=code, retry_after=_retry_after(response))

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @staticmethod
    def _excerpt(response: requests.Response) -> str:
        return " ".join(response.text.split())[:300] or "(empty body)"

    def close(self) -> None:
        self.session.close()


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _template(item: dict[str, Any]) -> ApprovedTemplate:
    body = next((c.get("text", "") for c in item.get("components") or [] if str(c.get("type", "")).upper() == "BODY"), "")
    placeholders = {part.split("}}")[0].strip() for part in str(body).split("{{")[1:]}
    return ApprovedTemplate(name=str(item.get("name", "")), language=str(item.get("language", "")),
                            status=str(item.get("status", "")).upper(), category=str(item.get("category", "")).upper(),
                            body_parameters=len(placeholders))
