"""Sealing of secret payload fields (OTP codes, temporary passwords).

A secret field is stored as {"$sealed": "<Fernet token>"} so it never sits in
plaintext in the outbox row, the Kafka record or a log. OUTBOX_SECRET_KEY holds
one or more comma-separated Fernet keys (the first encrypts, all decrypt, for
rotation); when empty, a key is derived from Django's SECRET_KEY.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from chesanto_comms.conf import comms

SEALED = "$sealed"


class SecretKeyError(ValueError):
    """OUTBOX_SECRET_KEY is not a usable Fernet key, or a sealed value cannot be opened."""


def _derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(b"chesanto-outbox-secrets:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _fernet(outbox_secret_key: str, secret_key: str) -> MultiFernet:
    raw_keys = [k.strip() for k in outbox_secret_key.split(",") if k.strip()]
    if not raw_keys:
        return MultiFernet([Fernet(_derived_key(secret_key))])
    try:
        return MultiFernet([Fernet(k) for k in raw_keys])
    except ValueError:
        raise SecretKeyError(
            "OUTBOX_SECRET_KEY must be comma-separated Fernet keys "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from None


def fernet() -> MultiFernet:
    from django.conf import settings

    return _fernet(comms.OUTBOX_SECRET_KEY, settings.SECRET_KEY)


def seal(value: str) -> dict[str, str]:
    return {SEALED: fernet().encrypt(value.encode()).decode()}


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED}


def unseal(value: Any) -> Any:
    if not is_sealed(value):
        return value
    try:
        return fernet().decrypt(value[SEALED].encode()).decode()
    except InvalidToken:
        raise SecretKeyError("a sealed field cannot be opened: OUTBOX_SECRET_KEY / SECRET_KEY differ from the emitter's") from None
