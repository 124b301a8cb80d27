"""Cancelling a scheduled event (one emitted with `deliver_at`) before it is due."""
from __future__ import annotations

import uuid

from django.db import connections

from outbox.errors import NotCancellable

# The held row goes, or nothing: the relay's release (relay/store.py) deletes it too, so whichever
# statement comes first wins and the event is either cancelled or published, never both.
_DELETE_HELD = "DELETE FROM outbox_scheduled WHERE id = %s"
_RELEASED = "SELECT published_at IS NOT NULL FROM outbox_event WHERE id = %s"


def cancel(event_id: uuid.UUID | str, *, using: str = "default") -> bool:
    """Delete the held event; True if it was held and is now cancelled, False if no such event is
    known (never emitted, already cancelled, or purged after publication). Raises NotCancellable
    if it already came due (it is in the outbox, published or about to be)."""
    event_id = uuid.UUID(str(event_id))
    with connections[using].cursor() as cursor:
        cursor.execute(_DELETE_HELD, (event_id,))
        if cursor.rowcount:
            return True
        cursor.execute(_RELEASED, (event_id,))
        row = cursor.fetchone()
    if row is not None:
        raise NotCancellable(event_id, published=row[0])
    return False
