"""Recipients that are users of the project (push, the in-app inbox): found from what an event carries.

Events name people by email address (or phone number); a channel that delivers to users, not
addresses, turns those into user ids here. A user is found by `email` on the project's user model
(case-insensitive, active users only); an address no user has is skipped.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from consumers.notifications import recipients_from
from outbox.events.base import EventSchema


def user_ids_for_emails(emails: Iterable[str]) -> list[str]:
    """The ids (as text) of the active users with these addresses, in the order the addresses came."""
    wanted = [e for e in dict.fromkeys(emails) if e]
    if not wanted:
        return []
    User = get_user_model()
    email_field = User.get_email_field_name()
    found: dict[str, str] = {}
    rows = (User.objects.annotate(address=Lower(email_field))
            .filter(address__in=[e.lower() for e in wanted], is_active=True).order_by("pk").values_list("pk", "address"))
    for pk, address in rows:
        found.setdefault(address, str(pk))
    return [found[e.lower()] for e in wanted if e.lower() in found]


def users_from(field_name: str) -> Callable[[EventSchema], list[str]]:
    """Recipients for a user channel: the users whose addresses the event's field holds (one or a list)."""
    addresses = recipients_from(field_name)

    def recipients(data: EventSchema) -> list[str]:
        return user_ids_for_emails(addresses(data))
    recipients.__name__ = f"users_from_{field_name}"
    return recipients
