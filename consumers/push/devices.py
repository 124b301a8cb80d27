"""Registering and unregistering the devices a user's app installs receive pushes on.

The app registers its FCM token after sign-in and whenever FCM gives it a new one (and, as
Firebase advises, now and then to show it is still in use: `last_seen_at`). A token is one app
install: registered by another user (someone else signed in on that phone), it moves to them.
Only the token's own user may unregister it (sign-out).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from consumers.push.models import TOKEN_MAX_LENGTH, PushDevice
from consumers.push.tokens import masked

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: FCM tokens are letters, digits and -_:


class DeviceError(ValueError):
    """A registration request that cannot be honoured; `status` is the HTTP status to answer."""

    status = 400


class UnknownDevice(DeviceError):
    status = 404


class NotYourDevice(DeviceError):
    status = 403


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
    created: bool
    previous_user_id: int | None  # set when the token moved from another user


def register(user, token: str, platform: str) -> Registration:
    """Register the token for the user, or refresh it (platform, last seen)."""
    token, platform = checked_token(token), checked_platform(platform)
    with transaction.atomic():
        existing = PushDevice.objects.select_for_update().filter(token=token).first()
        previous = existing.user_id if existing and existing.user_id != user.pk else None
        device, created = PushDevice.objects.update_or_create(
            token=token, defaults={"user": user, "platform": platform, "last_seen_at": timezone.now()})
    if previous is not None:
        log.info("push device %s moved from user %s to user %s", masked(token), previous, user.pk)
    return Registration(device, created, previous)


def unregister(user, token: str) -> None:
    token = checked_token(token)
    device = PushDevice.objects.filter(token=token).first()
    if device is None:
        raise UnknownDevice("no device is registered with this token")
    if device.user_id != user.pk:
        raise NotYourDevice("this device token is registered to another user; only they can unregister it")
    device.delete()
