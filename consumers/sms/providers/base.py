"""The sequence every SMS provider follows: build the HTTP request -> call the provider
(with SMS_TIMEOUT, on one kept-alive session) -> parse its answer -> return SmsSent or
raise TransientError / PermanentError.

A provider is one module in this folder with a subclass of SmsProvider that supplies
`build_request` and `parse_response`, plus one line in providers/__init__.py.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

import requests
from django.core.exceptions import ImproperlyConfigured

from consumers import providers
from consumers.providers import ProviderVerdict, Sent, TransientError, transient
from consumers.sms.settings import sms_settings

CENT = Decimal("0.01")  # SMSLog.cost keeps 2 decimal places, as in the seed


class SmsConfigError(ImproperlyConfigured):
    """An SMS_* setting is missing or unusable for the chosen provider."""


@dataclass(frozen=True)
class SmsSent(Sent):
    """Sent, plus what the provider said beside it (kept for logs and tests)."""

    currency: str = ""
    status: str = ""  # the provider's own word: "Success", "queued", ...
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class HttpCall:
    url: str
    data: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None


def http_verdict(status_code: int) -> ProviderVerdict:
    """For an HTTP error the provider did not explain further."""
    if status_code == 401:
        # A wrong or rotated API key is ours to fix, not the recipient's: once it is
        # fixed a retry delivers, so it is transient (as SMTP auth errors are for email).
        return transient("authentication failed: check SMS_USERNAME / SMS_API_KEY")
    return providers.http_verdict(status_code)


def money(amount: str | None) -> Decimal | None:
    """'0.8000' -> Decimal('0.80'); a provider's negative price (a debit) counts as a cost."""
    if amount in (None, ""):
        return None
    try:
        return abs(Decimal(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


class SmsProvider(ABC):
    name: ClassVar[str]
    default_base_url: ClassVar[str]
    label: ClassVar[str]  # how the provider's docs name it, for error messages
    credentials_hint: ClassVar[str] = ""  # what SMS_USERNAME / SMS_API_KEY are for this provider

    def __init__(self, *, api_key: str, username: str, sender_id: str = "", base_url: str = "", timeout: float = 10.0):
        for setting, value in (("SMS_API_KEY", api_key), ("SMS_USERNAME", username)):
            if not value:
                raise SmsConfigError(f"{setting} is empty: set it for {self.label} (SMS_PROVIDER={self.name}); {self.credentials_hint}")
        self.api_key, self.username, self.sender_id = api_key, username, sender_id
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()  # keeps connections to the provider open between messages

    @classmethod
    def from_settings(cls) -> "SmsProvider":
        return cls(
            api_key=sms_settings.SMS_API_KEY,
            username=sms_settings.SMS_USERNAME,
            sender_id=sms_settings.SMS_SENDER_ID,
            base_url=sms_settings.SMS_API_URL,
            timeout=sms_settings.SMS_TIMEOUT,
        )

    def send(self, to: str, text: str) -> SmsSent:
        call = self.build_request(to, text)
        try:
            # The timeout bounds the connect and each read, so a stalled provider cannot hold
            # the consumer past Kafka's max.poll.interval.ms.
            response = self.session.post(call.url, data=call.data, headers=call.headers, auth=call.auth, timeout=self.timeout)
        except requests.Timeout as exc:
            # The provider may have accepted the SMS before the timeout: a retry can duplicate
            # it (at-least-once), which beats losing an OTP.
            raise TransientError(f"{self.label}: no answer within SMS_TIMEOUT={self.timeout}s ({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            self.session.close()  # drop a connection that broke; the next call opens a new one
            raise TransientError(f"{self.label}: {type(exc).__name__}: {exc}") from exc
        return self.parse_response(response)

    @abstractmethod
    def build_request(self, to: str, text: str) -> HttpCall:
        """The provider's HTTP request for one SMS to one E.164 number."""

    @abstractmethod
    def parse_response(self, response: requests.Response) -> SmsSent:
        """SmsSent for an accepted SMS; raise TransientError or PermanentError otherwise."""

    def close(self) -> None:
        self.session.close()

    @staticmethod
    def json_body(response: requests.Response) -> dict[str, Any] | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def excerpt(self, response: requests.Response) -> str:
        return " ".join(response.text.split())[:300]
