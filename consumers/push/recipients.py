"""Who a push goes to: each device of each user an event names.

An event names users by id, or else by address (consumers/recipients.py finds the users, and says
why a name finds none); each of a user's devices is one recipient, by its token. A name that
reaches no device is a recipient too, written so that no token can look like it (tokens hold no
space), and its log row says SKIPPED and why, instead of the push vanishing without a trace:

    user 42 (no device)           the user has no registered device
    user 42 (no user)             the event's id is no active user's
    x@y.example (no user)         no active user has the address
    x@y.example (several users)   several active users have it, so it names none of them

Those forms are written and read here only.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from consumers.push.models import PushDevice
from consumers.recipients import Miss, Named, count_misses, named_in
from outbox.events.base import EventSchema

_NO_DEVICE = re.compile(r"user (\S+) \(no device\)")
_NO_SUCH_USER = re.compile(r"user (\S+) \(no user\)")
_NO_USER = re.compile(r"(\S+) \(no user\)")
_SEVERAL_USERS = re.compile(r"(\S+) \(several users\)")
_MARK = {Miss.NO_USER: "no user", Miss.SEVERAL_USERS: "several users"}


def no_device(user_id: str) -> str:
    return f"user {user_id} (no device)"


def nobody(person: Named) -> str:
    """The recipient that records a name which found no user."""
    return f"{person.label} ({_MARK[person.miss]})"


@dataclass(frozen=True)
class Unreachable:
    """A recipient with no device to send to."""

    user_id: str | None  # the user it concerns, when there is one
    reason: str


def unreachable(recipient: str) -> Unreachable | None:
    """What a recipient that is not a device token stands for; None for a device token."""
    if match := _NO_DEVICE.fullmatch(recipient):
        return Unreachable(match[1], f"user {match[1]} has no registered push device")
    if match := _NO_SUCH_USER.fullmatch(recipient):
        return Unreachable(None, Named(match[1], True, miss=Miss.NO_USER).reason())
    if match := _NO_USER.fullmatch(recipient):
        return Unreachable(None, Named(match[1], False, miss=Miss.NO_USER).reason())
    if match := _SEVERAL_USERS.fullmatch(recipient):
        return Unreachable(None, Named(match[1], False, miss=Miss.SEVERAL_USERS).reason())
    return None


def devices_from(address_field: str, user_id_field: str) -> Callable[[EventSchema], list[str]]:
    """Recipients for push: the device tokens of the users the event names in these fields."""
    named = named_in(address_field, user_id_field)

    def recipients(data: EventSchema) -> list[str]:
        people = named(data)
        count_misses("push", people)
        tokens: dict[str, list[str]] = defaultdict(list)
        for user_id, token in (PushDevice.objects.filter(user_id__in=[p.user_id for p in people if p.user_id])
                               .order_by("pk").values_list("user_id", "token")):
            tokens[str(user_id)].append(token)
        result: list[str] = []
        for person in people:
            if person.user_id is None:
                result.append(nobody(person))
            else:
                result.extend(tokens.get(person.user_id) or [no_device(person.user_id)])
        return list(dict.fromkeys(result))  # two names of one user: each device once
    recipients.__name__ = f"devices_from_{address_field}"
    return recipients
