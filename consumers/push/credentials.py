"""The OAuth2 access token FCM's HTTP v1 API takes, from a Firebase service account (google-auth).

One token cache per process, not per channel instance: the consume loop runs several sender
threads, each with its own channel, and the token belongs to the service account, not to a
connection. Shared, it costs one token exchange per hour instead of one per sender, and its lock
makes senders that find it expired wait for one refresh instead of each asking for a token. A
token is refreshed only when absent or expired (google-auth counts a token as expired 3 min 45 s
before the expiry the token endpoint gave), or after FCM refused it (`invalidate`).
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import requests
from django.core.exceptions import ImproperlyConfigured
from google.oauth2 import service_account

from consumers.providers import TransientError

log = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


class PushConfigError(ImproperlyConfigured):
    """PUSH_SERVICE_ACCOUNT (or PUSH_PROJECT_ID) is missing or unusable."""


@dataclass(frozen=True)
class ServiceAccount:
    """A Firebase service account's key, as the console's 'Generate new private key' downloads it."""

    info: dict[str, Any] = field(repr=False)  # holds the private key
    client_email: str
    project_id: str
    token_uri: str
    private_key_id: str

    @classmethod
    def load(cls, raw: str) -> "ServiceAccount":
        """From PUSH_SERVICE_ACCOUNT: the JSON itself, or the path of its file."""
        if not raw.strip():
            raise PushConfigError("PUSH_SERVICE_ACCOUNT is empty: set it to the path of the Firebase service account's "
                                  "JSON key (or the JSON itself); see docs/push.md")
        source = "PUSH_SERVICE_ACCOUNT"
        text = raw
        if not raw.lstrip().startswith("{"):
            source = f"PUSH_SERVICE_ACCOUNT's file {raw.strip()}"
            try:
                text = Path(raw.strip()).expanduser().read_text()
            except (OSError, UnicodeDecodeError) as exc:
                raise PushConfigError(f"{source} cannot be read ({type(exc).__name__}: {exc}); set it to the "
                                      "service account's JSON key file, or the JSON itself") from None
        try:
            info = json.loads(text)
        except ValueError as exc:
            raise PushConfigError(f"{source} is not JSON ({exc}); it must be the service account's key as "
                                  "downloaded from the Firebase console") from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise PushConfigError(f"{source} is not a service account key (its \"type\" must be \"service_account\")")
        missing = [name for name in ("client_email", "private_key", "token_uri") if not info.get(name)]
        if missing:
            raise PushConfigError(f"{source} lacks {', '.join(missing)}: download a new key from the Firebase console")
        try:
            service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        except ValueError as exc:
            raise PushConfigError(f"{source}: its private_key cannot be used ({exc})") from None
        return cls(info, info["client_email"], info.get("project_id", ""), info["token_uri"],
                   info.get("private_key_id", ""))


class _TimedRequest(google.auth.transport.requests.Request):
    """google-auth's transport with our timeout (its own default is 120 s)."""

    def __init__(self, session: requests.Session, timeout: float):
        super().__init__(session)
        self.timeout = timeout

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        return super().__call__(url, method=method, body=body, headers=headers, timeout=timeout or self.timeout,
                                **kwargs)


class AccessTokens:
    """The service account's current access token, refreshed when absent or expired; thread-safe."""

    def __init__(self, account: ServiceAccount, timeout: float):
        self.account = account
        self._credentials = service_account.Credentials.from_service_account_info(account.info, scopes=[SCOPE])
        self._request = _TimedRequest(requests.Session(), timeout)
        self._lock = threading.Lock()
        self.exchanges = 0  # token requests made, for logs and tests

    def token(self) -> str:
        with self._lock:
            if not self._credentials.valid:
                self._refresh()
            return self._credentials.token

    def invalidate(self, token: str) -> None:
        """FCM refused `token` before its expiry (revoked, or the key rotated): the next call gets a new one."""
        with self._lock:
            if self._credentials.token == token:
                self._credentials.token = None

    def _refresh(self) -> None:
        self.exchanges += 1
        try:
            self._credentials.refresh(self._request)
        except google.auth.exceptions.GoogleAuthError as exc:
            # A deleted key, a clock far off, the token endpoint down: ours to fix or to wait out, so a
            # retry may send (as a wrong SMS API key is transient for SMS).
            raise TransientError(f"no FCM access token from {self.account.token_uri} for {self.account.client_email}: "
                                 f"{exc}; check PUSH_SERVICE_ACCOUNT's key (deleted or rotated?) and the clock") from exc
        log.info("FCM access token for %s obtained, valid until %s", self.account.client_email,
                 f"{self._credentials.expiry:%Y-%m-%d %H:%M:%S} UTC" if self._credentials.expiry else "(no expiry given)")


_tokens: dict[tuple[str, str, str], AccessTokens] = {}
_tokens_lock = threading.Lock()


def access_tokens(account: ServiceAccount, timeout: float) -> AccessTokens:
    """The process's token cache for this service account key (a rotated key gets its own)."""
    key = (account.client_email, account.private_key_id, account.token_uri)
    with _tokens_lock:
        if key not in _tokens:
            _tokens[key] = AccessTokens(account, timeout)
        return _tokens[key]
