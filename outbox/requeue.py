"""Un-parking outbox rows so the relay tries them again."""
from __future__ import annotations

from django.db import connection, transaction
from django.db.models import QuerySet

from outbox.emitter import NOTIFY_CHANNEL


def requeue(rows: QuerySet) -> int:
    """Make parked (or waiting) unpublished rows eligible now; wake the relay. Returns the count."""
    with transaction.atomic():
        count = rows.filter(published_at__isnull=True).update(parked_at=None, retry_at=None, attempts=0)
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return count
