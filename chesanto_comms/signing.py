"""An optional HMAC signature on each record, for brokers where ACLs cannot say who may write.

With OUTBOX_SIGNING_KEY set, the relay adds `x-chesanto-signature: v1=<hex>`, an HMAC-SHA256
with the first key over the record's key, value, `ce_id` and `ce_type` (each length-prefixed,
so no two different records sign alike), and consumers dead-letter a record whose signature is
missing or matches none of the keys (so a key is rotated by putting the new one first on the
consumers, then on the relays, then dropping the old one). Retry and dead-letter copies keep
key, value and headers, so they stay signed. Kafka's own SASL authentication and ACLs are the
primary control (README, "Who may write to the topics"); this is the fallback.
"""
from __future__ import annotations

import hashlib
import hmac
import struct

HEADER = "x-chesanto-signature"
VERSION = "v1"
_NONE = struct.pack(">I", 0xFFFFFFFF)  # a null key or value, distinct from an empty one


def _field(data: bytes | None) -> bytes:
    return _NONE if data is None else struct.pack(">I", len(data)) + data


def _digest(secret: str, key: bytes | None, value: bytes | None, ce_id: bytes, ce_type: bytes) -> str:
    message = VERSION.encode() + _field(key) + _field(value) + _field(ce_id) + _field(ce_type)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature(secret: str, key: bytes | None, value: bytes | None, ce_id: bytes, ce_type: bytes) -> bytes:
    """The header value the relay sends."""
    return f"{VERSION}={_digest(secret, key, value, ce_id, ce_type)}".encode()


def verified(secrets: list[str], header: str | None, key: bytes | None, value: bytes | None, ce_id: bytes,
             ce_type: bytes) -> bool:
    """Whether `header` is the signature of these fields under one of `secrets` (constant-time compares)."""
    if not header or not header.startswith(f"{VERSION}="):
        return False
    given = header[len(VERSION) + 1:]
    return any(hmac.compare_digest(given, _digest(secret, key, value, ce_id, ce_type)) for secret in secrets)
