"""The generic webhook's signature, in the manner of Stripe's and GitHub's:

    X-Chesanto-Timestamp: 1796112000
    X-Chesanto-Signature: sha256=<hex>

where <hex> is the lower-case hex HMAC-SHA256, keyed with the room's secret (its UTF-8 bytes), of
the timestamp's digits, a full stop, and the request body exactly as received (bytes, before any
JSON parsing). The timestamp is in the signed text, so a captured request cannot be replayed later
with a new one; a receiver refuses one older than its tolerance (TOLERANCE, five minutes) and
compares signatures in constant time. `verify` does all of it, for receivers written in Python.
"""
from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP = "X-Chesanto-Timestamp"
SIGNATURE = "X-Chesanto-Signature"
EVENT_ID = "X-Chesanto-Event-Id"
EVENT_TYPE = "X-Chesanto-Event-Type"
SCHEME = "sha256"
TOLERANCE = 300.0  # seconds a receiver accepts between the timestamp and its own clock


class BadSignature(ValueError):
    """A request the secret did not sign, or signed too long ago; the message says which."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers a request with this body carries."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP: timestamp, SIGNATURE: f"{SCHEME}={signature(secret, timestamp, body)}"}


def verify(secrets: str | list[str], timestamp: str | None, signature_header: str | None, body: bytes,
           now: float | None = None, tolerance: float = TOLERANCE) -> None:
    """Raise BadSignature unless one of `secrets` (several while a secret is rotated) signed `body` at
    `timestamp`, within `tolerance` seconds of `now`."""
    if not timestamp or not timestamp.isdigit():
        raise BadSignature(f"{TIMESTAMP} missing or not unix seconds")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        raise BadSignature(f"{TIMESTAMP} is more than {tolerance:.0f}s away from now (a replay, or a wrong clock)")
    scheme, _, given = (signature_header or "").partition("=")
    if scheme != SCHEME or not given:
        raise BadSignature(f"{SIGNATURE} missing or not {SCHEME}=<hex>")
    keys = [secrets] if isinstance(secrets, str) else secrets
    if not any(hmac.compare_digest(signature(key, timestamp, body), given) for key in keys):
        raise BadSignature("the signature does not match the body with any of the secrets")
