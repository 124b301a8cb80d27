"""The signed links a message carries to its recipient's preferences: the preference page and the one-click
unsubscribe URL (RFC 8058). No login: the link itself says who, signed with Django's SECRET_KEY
(`django.core.signing`, its own salt) and dated, so a link works for COMMS_PREFERENCE_LINK_MAX_AGE days and
a changed or made-up one does not.

A link names a recipient's preference key (consumers/consent.py: an address, a number, `user:<pk>`), the
channel the message came by and its category: the page opens on them, and the one-click POST opts out of
exactly that category on that channel. `critical` messages carry none: there is nothing to opt out of.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.urls import reverse

from chesanto_comms.conf import comms, generation
from outbox.events.categories import Category

SALT = "chesanto.preference-link"


@dataclass(frozen=True)
class Link:
    key: str  # the recipient's preference key
    channel: str
    category: Category


@dataclass(frozen=True)
class Urls:
    page: str  # the preference page
    unsubscribe: str  # the one-click POST (List-Unsubscribe)


class LinkRefused(ValueError):
    """A token that does not open the page; `expired` tells an old link from a changed or made-up one."""

    def __init__(self, message: str, expired: bool):
        super().__init__(message)
        self.expired = expired


def token(link: Link) -> str:
    return signing.dumps([link.key, link.channel, link.category.value], salt=SALT, compress=False)


def read(value: str) -> Link:
    """The link a token names; LinkRefused when it is older than COMMS_PREFERENCE_LINK_MAX_AGE or not ours."""
    max_age = timedelta(days=comms.COMMS_PREFERENCE_LINK_MAX_AGE)
    try:
        key, channel, category = signing.loads(value, salt=SALT, max_age=max_age)
        link = Link(str(key), str(channel), Category(category))
    except signing.SignatureExpired:
        raise LinkRefused(f"this link is older than {comms.COMMS_PREFERENCE_LINK_MAX_AGE} days", expired=True) from None
    except (signing.BadSignature, ValueError, TypeError):  # a forged token, or a signed payload of another shape
        raise LinkRefused("this link is not one we sent, or it was changed", expired=False) from None
    if link.category == Category.CRITICAL:
        raise LinkRefused("this link is not one we sent, or it was changed", expired=False)
    return link


def urls(channel: str, category: Category, key: str) -> Urls | None:
    """The links for a message of `category` to `key` on `channel`; None for critical messages, or when
    COMMS_PUBLIC_URL is not set (a link to localhost would be worse than none)."""
    base = comms.COMMS_PUBLIC_URL.rstrip("/")
    if not base or category == Category.CRITICAL:
        return None
    signed = token(Link(key, channel, category))
    page, unsubscribe = _paths()
    return Urls(page=base + page.replace(PLACEHOLDER, signed), unsubscribe=base + unsubscribe.replace(PLACEHOLDER, signed))


# reverse() walks the URLconf (about 0.2 ms, twice per email): the paths are resolved once per settings generation,
# around a placeholder. A token needs no quoting in a path (URL-safe base64 and ':'), so the result is the same.
PLACEHOLDER = "~token~"
_paths_cache: tuple[int, tuple[str, str]] = (-1, ("", ""))


def _paths() -> tuple[str, str]:
    global _paths_cache
    if _paths_cache[0] != generation():
        _paths_cache = (generation(), (reverse("comms:preferences:page", args=[PLACEHOLDER]),
                                       reverse("comms:preferences:unsubscribe", args=[PLACEHOLDER])))
    return _paths_cache[1]
