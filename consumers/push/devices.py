"""Registering and unregistering the devices a user's app installs receive pushes on.

The app registers its FCM token after sign-in and whenever FCM gives it a new one (and, as
Firebase advises, now and then to show it is still in use: `last_seen_at`). A token is one app
install, signed in as one user at a time: registered by another user (someone else signed in on
that phone), it moves to them as a new device of theirs. Nothing a user is told says whether a
token was someone else's: a move answers as a first registration does, and unregistering another
user's token answers as an unknown token does ("not found"). A user keeps at most
PUSH_MAX_DEVICES_PER_USER devices; a registration beyond it drops their devices seen longest ago.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from consumers.push.models import TOKEN_MAX_LENGTH, PushDevice
from consumers.push.settings import push_settings
from consumers.push.tokens import masked

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: FCM tokens are letters, digits and -_:
LOCK_SPACE = 0x70757368  # key1 of the per-user advisory lock ("push"); key2 is the user id (mod 2^31)


class DeviceError(ValueError):
    """A registration request that cannot be honoured; `status` is the HTTP status to answer."""

    status = 400


class UnknownDevice(DeviceError):
    """The user has no device with the token (nobody has it, or another user does: the same answer)."""

    status = 404


def checked_token(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise DeviceError("token is required: the FCM registration token the app got from Firebase")
    if len(value) > TOKEN_MAX_LENGTH:
        raise DeviceError(f"token is {len(value)} characters long; an FCM registration token has at most "
                          f"{TOKEN_MAX_LENGTH}")
    if not _TOKEN.fullmatch(value):
        raise DeviceError("token holds spaces or characters no FCM registration token has")
    return value


def checked_platform(value: object) -> str:
    if value not in PushDevice.Platform.values:
        raise DeviceError(f"platform must be one of {', '.join(PushDevice.Platform.values)}, not {value!r}")
    return value


@dataclass(frozen=True)
class Registration:
    device: PushDevice
    created: bool  # a new device of this user's (also when the token moved from another user)
    previous_user_id: int | None  # set when the token moved from another user (for the log, never the answer)
    dropped: int  # the user's devices dropped to keep PUSH_MAX_DEVICES_PER_USER


def register(user, token: str, platform: str) -> Registration:
    """Register the token for the user, or refresh it (platform, last seen)."""
    token, platform = checked_token(token), checked_platform(platform)
    try:
        registration = _register(user, token, platform)
    except IntegrityError:  # another request inserted the same token meanwhile: now it exists, so move or refresh it
        registration = _register(user, token, platform)
    if registration.previous_user_id is not None:
        log.info("push device %s moved from user %s to user %s", masked(token), registration.previous_user_id, user.pk)
    if registration.dropped:
        log.info("user %s registered push device %s beyond PUSH_MAX_DEVICES_PER_USER=%d: dropped %d seen longest ago",
                 user.pk, masked(token), push_settings.PUSH_MAX_DEVICES_PER_USER, registration.dropped)
    return registration


def _register(user, token: str, platform: str) -> Registration:
    now, alias = timezone.now(), router.db_for_write(PushDevice)
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:  # one user's registrations count their devices one after the other
            cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", [LOCK_SPACE, int(user.pk) & 0x7FFFFFFF])
        existing = PushDevice.objects.select_for_update().filter(token=token).first()
        if existing is not None and existing.user_id == user.pk:
            existing.platform, existing.last_seen_at = platform, now
            existing.save(update_fields=["platform", "last_seen_at"])
            return Registration(existing, False, None, _drop_beyond_limit(user.pk))
        previous = None
        if existing is not None:  # a new device of this user's: a new row, so no field tells of the old one
            previous = existing.user_id
            existing.delete()
        device = PushDevice.objects.create(user=user, token=token, platform=platform, last_seen_at=now)
        return Registration(device, True, previous, _drop_beyond_limit(user.pk))


def _drop_beyond_limit(user_id: int) -> int:
    """Delete the user's devices beyond the newest PUSH_MAX_DEVICES_PER_USER (by last seen); how many."""
    keep = push_settings.PUSH_MAX_DEVICES_PER_USER
    oldest = PushDevice.objects.filter(user_id=user_id).order_by("-last_seen_at", "-pk").values_list("pk", flat=True)
    deleted, _ = PushDevice.objects.filter(pk__in=list(oldest[keep:])).delete()
    return deleted


def unregister(user, token: str) -> None:
    """Delete the user's device with the token; UnknownDevice if the user has none (whoever else may)."""
    deleted, _ = PushDevice.objects.filter(user_id=user.pk, token=checked_token(token)).delete()
    if not deleted:
        raise UnknownDevice("you have no device registered with this token")
