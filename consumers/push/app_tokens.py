"""Bearer tokens for the mobile app: how a native app authenticates to the device endpoints.

A native app sends no Referer, so Django's CSRF check refuses its cookie-authenticated changes
over HTTPS ("Referer checking failed - no Referer"). Instead the host's own sign-in gives the app
a token, `issue_token(user)`, which the app sends as `Authorization: Bearer <token>`.

The token is signed with Django's signing (SECRET_KEY, and SECRET_KEY_FALLBACKS while a key is
rotated) and carries the user's id, when it was issued and a fingerprint of the user's password
hash, so no table is needed, as for Django's password-reset tokens. It stops working after
PUSH_APP_TOKEN_MAX_AGE seconds, when the user's password changes (Django re-hashing the same
password on a later sign-in changes the hash too: the app signs in again), and when the user is
deactivated or deleted. It cannot be revoked one at a time: change the password.

A browser never sends an Authorization header by itself, and another site's page cannot make it
send one to this site, so a request authenticated by a bearer token needs no CSRF token.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from consumers.push.settings import push_settings

SALT = "chesanto.push.app-token"  # a token signed for anything else never reads as one of these


class InvalidAppToken(ValueError):
    """A bearer token that does not authenticate anyone; the message says why and what to do."""


def issue_token(user) -> str:
    """A token for the user's app, valid PUSH_APP_TOKEN_MAX_AGE seconds from now."""
    return signing.dumps({"user": user.pk, "password": _fingerprint(user)}, salt=SALT)


def user_for(token: str):
    """The active user the token was issued to; InvalidAppToken otherwise."""
    max_age = push_settings.PUSH_APP_TOKEN_MAX_AGE
    try:
        claims = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidAppToken(f"the app token has expired (they last PUSH_APP_TOKEN_MAX_AGE={max_age} seconds): "
                              "sign in again for a new one") from None
    except signing.BadSignature:
        raise InvalidAppToken("not an app token of this site: sign in again for a new one") from None
    user = get_user_model()._default_manager.filter(pk=claims.get("user")).first()
    if user is None or not user.is_active or not _same_password(user, str(claims.get("password"))):
        raise InvalidAppToken("the app token is no longer valid (the password changed, or the account was "
                              "deactivated): sign in again for a new one")
    return user


def _fingerprint(user, secret: str | None = None) -> str:
    """Changes when the password does; says nothing about the password itself."""
    return salted_hmac(SALT, user.password or "", secret=secret, algorithm="sha256").hexdigest()[:32]


def _same_password(user, fingerprint: str) -> bool:
    """Whether the fingerprint is of the user's password now, made with SECRET_KEY or a fallback (a rotation)."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(constant_time_compare(_fingerprint(user, secret), fingerprint) for secret in secrets)
