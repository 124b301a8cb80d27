"""The users an event names, for the channels that deliver to users, not addresses (push, the in-app inbox).

An event names a user by id where the business knows it (`user_id` beside `email`,
`recipient_user_ids` beside `recipients`, …: outbox/events/). The rules, in order:

1. Ids given: the message goes to exactly those users that are active; the addresses of that
   field are not looked up at all (the business said who the users are).
2. No ids: each address is looked up among the active users, case-insensitively. Django's
   `User.email` is neither unique nor verified (anyone may set theirs to someone else's address),
   so an address names a user only when **exactly one** active user has it. An address several
   active users have names none of them: nothing is delivered to a guess.

Each name comes back as a `Named`: the user it stands for, or the `Miss` saying why none. The
channel records a miss where it can (push: a SKIPPED log row; the inbox, whose rows need a user: a
log line) and counts it (`chesanto_recipients_unresolved_total`).
"""
from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower

from consumers import metrics
from consumers.notifications import recipients_from
from outbox.events.base import EventSchema


class Miss(enum.Enum):
    """Why a name in an event stands for no user."""

    NO_USER = "no_user"  # no active user has the address (or the id)
    SEVERAL_USERS = "several_users"  # several active users have the address: it names none of them


@dataclass(frozen=True)
class Named:
    """One person as an event names them: by `address`, or by `user id` when `by_id`."""

    name: str  # the address (lower case), or the id as the event gave it
    by_id: bool
    user_id: str | None = None  # the user it stands for; None when `miss` says why not
    miss: Miss | None = None

    @property
    def label(self) -> str:
        return f"user {self.name}" if self.by_id else self.name

    def reason(self) -> str:
        """Why no user was found, in a sentence (empty when one was)."""
        if self.miss is Miss.NO_USER:
            return f"no active user has the {'id' if self.by_id else 'address'} {self.name}"
        if self.miss is Miss.SEVERAL_USERS:
            return (f"several active users have the address {self.name}, so it names none of them (an address "
                    "names a user only when exactly one active user has it: give the user's id in the event)")
        return ""


def resolve(addresses: Iterable[str], user_ids: Iterable[str] | None) -> list[Named]:
    """The users `user_ids` names when given (not None), else those `addresses` names; each name once, in order."""
    if user_ids is not None:
        return _by_id(list(dict.fromkeys(str(u) for u in user_ids if str(u))))
    return _by_address(list(dict.fromkeys(a.lower() for a in addresses if a)))


def _by_id(wanted: list[str]) -> list[Named]:
    User = get_user_model()
    keys: dict[str, object] = {}
    for user_id in wanted:
        try:
            keys[user_id] = User._meta.pk.to_python(user_id)
        except ValidationError:  # not a key this user model can have ("abc" for an integer key): nobody's
            pass
    active = {str(pk) for pk in User.objects.filter(pk__in=list(keys.values()), is_active=True)
              .values_list("pk", flat=True)} if keys else set()
    found = {user_id: str(key) for user_id, key in keys.items() if str(key) in active}
    return [Named(user_id, True, found[user_id]) if user_id in found else Named(user_id, True, miss=Miss.NO_USER)
            for user_id in wanted]


def _by_address(wanted: list[str]) -> list[Named]:
    if not wanted:
        return []
    User = get_user_model()
    rows = (User.objects.annotate(address=Lower(User.get_email_field_name()))
            .filter(address__in=wanted, is_active=True).values_list("address", "pk"))
    users: dict[str, list[str]] = {}
    for address, pk in rows:
        users.setdefault(address, []).append(str(pk))
    result = []
    for address in wanted:
        matched = users.get(address, [])
        if len(matched) == 1:
            result.append(Named(address, False, matched[0]))
        elif matched:
            result.append(Named(address, False, miss=Miss.SEVERAL_USERS))
        else:
            result.append(Named(address, False, miss=Miss.NO_USER))
    return result


def named_in(address_field: str, user_id_field: str) -> Callable[[EventSchema], list[Named]]:
    """The people an event names in a field of addresses (one or a list) and its field of user ids."""
    addresses = recipients_from(address_field)

    def named(data: EventSchema) -> list[Named]:
        ids = getattr(data, user_id_field)
        return resolve(addresses(data), None if ids is None else recipients_from(user_id_field)(data))
    return named


def count_misses(channel: str, named: Iterable[Named]) -> None:
    """Count the names that found no user (chesanto_recipients_unresolved_total{channel, reason})."""
    for miss, n in Counter(n.miss for n in named if n.miss is not None).items():
        metrics.RECIPIENTS_UNRESOLVED.labels(channel, miss.value).inc(n)
