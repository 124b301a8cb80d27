"""Sealing of secret payload fields (OTP codes, temporary passwords).

A secret field is stored as {"$sealed": "<Fernet token>"} so it never sits in
plaintext in the outbox row, the Kafka record or a log. OUTBOX_SECRET_KEY holds
one or more comma-separated Fernet keys: the first encrypts, all decrypt, so a key
is rotated by putting a new one first and dropping the old one once nothing sealed
with it is in flight (the outbox's retention and the topics' retention, whichever is
longer). Only with DEBUG on (or eager delivery, in a project's tests) may it be left
empty, and then a key is derived from SECRET_KEY; in production it never is, so
rotating SECRET_KEY cannot make an in-flight OTP unreadable.
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


GENERATE = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def key_may_be_derived() -> bool:
    """Development and a project's own tests only: never in production."""
    from django.conf import settings

    return bool(settings.DEBUG or comms.COMMS_EAGER_DELIVERY)


@lru_cache(maxsize=4)
def _fernet(outbox_secret_key: str, secret_key: str) -> MultiFernet:
    raw_keys = [k.strip() for k in outbox_secret_key.split(",") if k.strip()]
    if not raw_keys:
        return MultiFernet([Fernet(_derived_key(secret_key))])
    try:
        return MultiFernet([Fernet(k) for k in raw_keys])
    except ValueError:
        raise SecretKeyError(
            f"OUTBOX_SECRET_KEY must be comma-separated Fernet keys (generate one with: {GENERATE})") from None


def check_key(value: str) -> str | None:
    """What is wrong with an OUTBOX_SECRET_KEY value, for the settings check (None: usable)."""
    try:
        _fernet(value, "") if value.strip() else None
    except SecretKeyError as exc:
        return str(exc).removeprefix("OUTBOX_SECRET_KEY ")
    return None


def fernet() -> MultiFernet:
    from django.conf import settings

    key = comms.OUTBOX_SECRET_KEY
    if not key.strip() and not key_may_be_derived():
        raise SecretKeyError(f"OUTBOX_SECRET_KEY is not set, and with DEBUG off no key is derived from SECRET_KEY: "
                             f"set it to a Fernet key (generate one with: {GENERATE})")
    return _fernet(key, settings.SECRET_KEY)


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
        raise SecretKeyError("a sealed field cannot be opened: OUTBOX_SECRET_KEY differs from the emitter's "
                             "(after a rotation, keep the old key after the new one)") from None
