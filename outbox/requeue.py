"""Un-parking outbox rows so the relay tries them again, and making published ones unpublished again."""
from __future__ import annotations

import uuid

from django.db import connection, transaction
from django.db.models import QuerySet

from outbox.emitter import NOTIFY_CHANNEL
from outbox.models import OutboxEvent


def requeue(rows: QuerySet) -> int:
    """Make parked (or waiting) unpublished rows eligible now; wake the relay. Returns the count."""
    with transaction.atomic():
        count = rows.filter(published_at__isnull=True).update(parked_at=None, retry_at=None, attempts=0)
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return count


def republish(ids: list[uuid.UUID]) -> int:
    """Make these published rows unpublished again, so the relay publishes them anew (same event id, key and
    ce_time); one transaction, whose NOTIFY wakes the relay when it commits. Returns the count."""
    with transaction.atomic():
        count = OutboxEvent.objects.filter(pk__in=ids, published_at__isnull=False).update(
            published_at=None, attempts=0, retry_at=None, parked_at=None, last_error="")
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return count
