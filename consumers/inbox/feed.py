"""The feed in the database: putting an item in it (the channel's send), and what a user may
read and change of their own items (the API and the live stream).

Putting an item in the feed is one short transaction on the consumer's connection:

    a per-user advisory lock       (two items for one user enter the feed one after the other, so
                                    their numbers follow commit order: a stream that has seen
                                    number n never later finds a smaller one committed)
    UPDATE … SET feed_seq = nextval(…) … WHERE feed_seq IS NULL   (only once per row, ever)
    pg_notify('chesanto_inbox', '<user id>')                      (delivered by PostgreSQL on COMMIT only)

so a listener is woken only when the item can be read, and a redelivered record (its row already
numbered) neither adds an item nor wakes anyone.
"""
from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from consumers.inbox.compose import RenderedItem
from consumers.inbox.models import FEED_SEQUENCE, InboxItem

NOTIFY_CHANNEL = "chesanto_inbox"  # payload: the user's id, as text
LOCK_SPACE = 0x696E6278  # key1 of the inbox's advisory locks ("inbx"); key2 is the user id (mod 2^31)

ENTER_FEED = f"""
UPDATE {InboxItem._meta.db_table}
   SET title = %s, body = %s, link = %s, category = %s, feed_seq = nextval('{FEED_SEQUENCE}')
 WHERE id = %s AND feed_seq IS NULL
RETURNING feed_seq"""


class State(StrEnum):
    """Which of a user's items a list shows (`?state=`)."""

    INBOX = "inbox"  # not archived (the default)
    UNREAD = "unread"  # neither read nor archived
    ARCHIVED = "archived"
    ALL = "all"


def enter_feed(entry: InboxItem, item: RenderedItem, timeout: float) -> tuple[int, bool]:
    """Put the row in its user's feed; return its number and whether it entered now (False: it was already in)."""
    alias = router.db_for_write(InboxItem)
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        # For this transaction only: a lock held elsewhere must not stall the consumer's worker.
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{max(1, round(timeout * 1000))}ms"])
        cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", [LOCK_SPACE, int(entry.user_id) & 0x7FFFFFFF])
        cursor.execute(ENTER_FEED, [item.title, item.body, item.link, item.category.value, entry.pk])
        row = cursor.fetchone()
        if row is not None:
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(entry.user_id)])
            return row[0], True
        cursor.execute(f"SELECT feed_seq FROM {InboxItem._meta.db_table} WHERE id = %s", [entry.pk])
        return cursor.fetchone()[0], False


# --- a user's own items --------------------------------------------------------
def items(user_id: int, state: State = State.INBOX) -> QuerySet[InboxItem]:
    """The user's items in the feed, newest first."""
    rows = InboxItem.objects.filter(user_id=user_id, feed_seq__isnull=False).order_by("-feed_seq")
    if state == State.INBOX:
        return rows.filter(archived_at__isnull=True)
    if state == State.UNREAD:
        return rows.filter(read_at__isnull=True, archived_at__isnull=True)
    if state == State.ARCHIVED:
        return rows.filter(archived_at__isnull=False)
    return rows


def page(user_id: int, state: State, limit: int, before: int | None = None) -> tuple[list[InboxItem], int | None]:
    """One page, newest first, and the cursor of the next (None on the last page).

    Keyset pagination on feed_seq: a page never repeats or skips an item when new ones arrive meanwhile.
    """
    rows = items(user_id, state)
    if before is not None:
        rows = rows.filter(feed_seq__lt=before)
    found = list(rows[:limit + 1])
    return found[:limit], (found[limit - 1].feed_seq if len(found) > limit else None)


def unread_count(user_id: int) -> int:
    return items(user_id, State.UNREAD).count()


def newer_than(user_id: int, after: int, limit: int) -> list[InboxItem]:
    """The user's items numbered after `after`, oldest first (what a stream sends next), archived or not."""
    return list(items(user_id, State.ALL).filter(feed_seq__gt=after).order_by("feed_seq")[:limit])


def latest(user_id: int) -> int:
    """The number of the user's newest item; 0 when there is none."""
    return items(user_id, State.ALL).values_list("feed_seq", flat=True).first() or 0


def mark_read(user_id: int, item_id: int) -> InboxItem | None:
    """Mark one item read (again: keeps the first time); None when the user has no such item."""
    items(user_id, State.ALL).filter(feed_seq=item_id, read_at__isnull=True).update(read_at=timezone.now())
    return items(user_id, State.ALL).filter(feed_seq=item_id).first()


def mark_all_read(user_id: int) -> int:
    """Mark every unread item of the user read, archived ones too; return how many."""
    return items(user_id, State.ALL).filter(read_at__isnull=True).update(read_at=timezone.now())


def archive(user_id: int, item_id: int) -> InboxItem | None:
    items(user_id, State.ALL).filter(feed_seq=item_id, archived_at__isnull=True).update(archived_at=timezone.now())
    return items(user_id, State.ALL).filter(feed_seq=item_id).first()


def as_json(item: InboxItem) -> dict[str, Any]:
    """An item as the API and the stream show it; its `id` is its place in the feed."""
    return {
        "id": item.feed_seq,
        "title": item.title,
        "body": item.body,
        "link": item.link,
        "category": item.category,
        "created_at": item.sent_at.isoformat(),
        "read_at": item.read_at.isoformat() if item.read_at else None,
        "archived_at": item.archived_at.isoformat() if item.archived_at else None,
    }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
