"""Firebase Cloud Messaging's HTTP v1 API: POST {base}/v1/projects/{project}/messages:send with
{"message": {...}} and the service account's access token as a bearer token.

Success is HTTP 200 with {"name": "projects/<project>/messages/<id>"}. An error is
{"error": {"code", "message", "status", "details": [...]}}; a detail of type FcmError carries
FCM's own errorCode, which says most, so it is classified first (ERROR_CODES), then the
google.rpc status (RPC_STATUS), then the HTTP status. Where FCM says to wait (429, 503) it may
send Retry-After, which the retry honours.
"""
from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

import requests

from chesanto_comms.numbers import is_whole_number
from consumers.delivery_log import DeliveryStatus
from consumers.providers import (
    AddressRejected,
    PermanentError,
    ProviderVerdict,
    Sent,
    TransientError,
    drop_address,
    failed,
    http_verdict,
    transient,
)
from consumers.push.credentials import AccessTokens

DEFAULT_BASE_URL = "https://fcm.googleapis.com"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


# FCM's errorCode (https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode) -> what we do.
ERROR_CODES: dict[str, ProviderVerdict] = {
    "UNREGISTERED": drop_address(DeliveryStatus.UNREGISTERED, "the app instance unregistered its token (uninstalled, "
                                 "or the token expired): its device is removed"),
    "SENDER_ID_MISMATCH": failed("the token belongs to another Firebase project than PUSH_PROJECT_ID: the app was "
                                 "built with another project's configuration", status=DeliveryStatus.REJECTED),
    "QUOTA_EXCEEDED": transient("sending limit exceeded (the project's, or this device's)"),
    "UNAVAILABLE": transient("FCM is overloaded"),
    "INTERNAL": transient("FCM internal error"),
    "THIRD_PARTY_AUTH_ERROR": failed("APNs or web push credentials missing or invalid: upload the APNs key or the "
                                     "web push certificate in the Firebase console (Project settings > Cloud Messaging)"),
}
INVALID_TOKEN = drop_address(DeliveryStatus.INVALID_TOKEN, "not a valid FCM registration token: its device is removed")
INVALID_MESSAGE = failed("FCM refused the message as malformed (a bug in the push channel or a template)")
# Errors without an FcmError detail, by google.rpc status: the request, not the recipient, is wrong.
# Ours to fix (credentials, the project, its API): transient, so messages go once it is fixed.
RPC_STATUS: dict[str, ProviderVerdict] = {
    "UNAUTHENTICATED": transient("FCM refused the access token: check PUSH_SERVICE_ACCOUNT"),
    "PERMISSION_DENIED": transient("the service account may not send for this project: enable the Firebase Cloud "
                                   "Messaging API (V1) and give the account the Firebase Cloud Messaging API Admin role"),
    "NOT_FOUND": transient("no such Firebase project: check PUSH_PROJECT_ID"),
}


TokenRejected = AddressRejected  # FCM says the device token will never work: the channel deletes its device


@dataclass(frozen=True)
class FcmError:
    """An error answer, read: FCM's errorCode (if any), the google.rpc status, the message."""

    http_status: int
    error_code: str | None
    rpc_status: str
    message: str
    about_token: bool  # a bad request whose field, or whose message, is the registration token

    @classmethod
    def read(cls, response: requests.Response) -> "FcmError":
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(response.status_code, None, "", " ".join(response.text.split())[:300], False)
        details = [d for d in error.get("details") or [] if isinstance(d, dict)]
        code = next((d.get("errorCode") for d in details if d.get("@type") == FCM_ERROR), None)
        fields = [v.get("field", "") for d in details if d.get("@type") == BAD_REQUEST
                  for v in d.get("fieldViolations") or [] if isinstance(v, dict)]
        message = str(error.get("message", ""))
        about_token = "message.token" in fields or "registration token" in message.lower()
        return cls(response.status_code, code, str(error.get("status", "")), message[:500], about_token)

    @property
    def verdict(self) -> ProviderVerdict:
        if self.error_code == "INVALID_ARGUMENT" or (self.error_code is None and self.rpc_status == "INVALID_ARGUMENT"):
            return INVALID_TOKEN if self.about_token else INVALID_MESSAGE
        if self.error_code in ERROR_CODES:
            return ERROR_CODES[self.error_code]
        if self.error_code is None and self.rpc_status in RPC_STATUS:
            return RPC_STATUS[self.rpc_status]
        return http_verdict(self.http_status, busy="FCM busy or failing")

    def __str__(self) -> str:
        code = self.error_code or self.rpc_status or "no error code"
        return f"FCM HTTP {self.http_status} {code}: {self.message}"


def retry_after(response: requests.Response, now: float | None = None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110); None if absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if is_whole_number(value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - (time.time() if now is None else now), 0.0)


class FcmClient:
    """Sends one message to one device token; raises TransientError, TokenRejected or PermanentError."""

    name = "fcm"

    def __init__(self, tokens: AccessTokens, project_id: str, base_url: str = "", timeout: float = 10.0):
        self.tokens = tokens
        self.url = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/v1/projects/{project_id}/messages:send"
        self.timeout = timeout
        self.session = requests.Session()  # one kept-alive connection per channel instance (a sender borrows one)

    def send(self, message: dict[str, Any]) -> Sent:
        token = self.tokens.token()
        response = self._post(message, token)
        if response.status_code == 401 and FcmError.read(response).error_code is None:
            # Refused before its expiry (revoked, a rotated key): one new token, one more try.
            self.tokens.invalidate(token)
            response = self._post(message, self.tokens.token())
        return self.parse(response)

    def _post(self, message: dict[str, Any], token: str) -> requests.Response:
        try:
            # The timeout bounds the connect and each read, so a stalled FCM cannot hold the consumer
            # past Kafka's max.poll.interval.ms.
            return self.session.post(self.url, json={"message": message}, timeout=self.timeout,
                                     headers={"Authorization": f"Bearer {token}"})
        except requests.Timeout as exc:
            # FCM may have taken the message: a retry can show it twice, which beats losing an alert.
            raise TransientError(f"FCM: no answer within PUSH_TIMEOUT={self.timeout}s ({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            self.session.close()  # drop a connection that broke; the next call opens a new one
            raise TransientError(f"FCM: {type(exc).__name__}: {exc}") from exc

    def parse(self, response: requests.Response) -> Sent:
        if response.status_code == 200:
            try:
                name = response.json().get("name")
            except (ValueError, AttributeError):
                name = None
            if not isinstance(name, str) or not name:
                raise PermanentError(f"FCM HTTP 200 without a message name: {' '.join(response.text.split())[:300]}")
            return Sent(provider_message_id=name, provider=self.name)
        error = FcmError.read(response)
        verdict = error.verdict
        detail = f"{error} ({verdict.meaning})"
        raise verdict.error(detail, retry_after=retry_after(response) if verdict.retry else None)

    def close(self) -> None:
        self.session.close()
