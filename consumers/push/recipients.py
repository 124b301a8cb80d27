"""Who a push goes to: each device of each user an event names by email address.

An event names people by address (consumers/recipients.py finds their users); each of a user's
devices is one recipient, by its token. A user with no device and an address no active user
has are recipients too, written so that no token can look like them (tokens hold no space):
their log rows say SKIPPED and why, instead of the push vanishing without a trace.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from consumers.notifications import recipients_from
from consumers.push.models import PushDevice
from consumers.recipients import user_ids_for_emails
from outbox.events.base import EventSchema

_NO_DEVICE = re.compile(r"user (\d+) \(no device\)")
_NO_USER = re.compile(r"(.+) \(no user\)")


def no_device(user_id: str) -> str:
    return f"user {user_id} (no device)"


def no_user(address: str) -> str:
    return f"{address} (no user)"


@dataclass(frozen=True)
class Unreachable:
    """A recipient with no device to send to."""

    user_id: int | None
    reason: str


def unreachable(recipient: str) -> Unreachable | None:
    """What a recipient that is not a device token stands for; None for a device token."""
    if match := _NO_DEVICE.fullmatch(recipient):
        return Unreachable(int(match[1]), f"user {match[1]} has no registered push device")
    if match := _NO_USER.fullmatch(recipient):
        return Unreachable(None, f"no active user has the address {match[1]}")
    return None


def devices_from(field_name: str) -> Callable[[EventSchema], list[str]]:
    """Recipients for push: the device tokens of the users whose addresses the event's field holds."""
    addresses = recipients_from(field_name)

    def recipients(data: EventSchema) -> list[str]:
        users: dict[str, str | None] = {}  # address -> user id (None: no active user has it)
        for address in dict.fromkeys(a.lower() for a in addresses(data)):
            found = user_ids_for_emails([address])
            users[address] = found[0] if found else None
        tokens: dict[str, list[str]] = defaultdict(list)
        for user_id, token in (PushDevice.objects.filter(user_id__in=[u for u in users.values() if u])
                               .order_by("pk").values_list("user_id", "token")):
            tokens[str(user_id)].append(token)
        result: list[str] = []
        for address, user_id in users.items():
            if user_id is None:
                result.append(no_user(address))
            else:
                result.extend(tokens.get(user_id) or [no_device(user_id)])
        return list(dict.fromkeys(result))  # two addresses of one user: each device once
    recipients.__name__ = f"devices_from_{field_name}"
    return recipients
