"""Deleting old delivery logs in small batches (short transactions, no long table locks)."""
from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

DEFAULT_BATCH = 1000


def delete_older_than(model: type[models.Model], days: int, batch: int = DEFAULT_BATCH, date_field: str = "sent_at") -> int:
    """Delete rows whose `date_field` is more than `days` old; return how many went."""
    if days < 1:
        raise ValueError(f"refusing to delete logs younger than 1 day (got days={days})")
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(model.objects.filter(**{f"{date_field}__lt": cutoff}).order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += model.objects.filter(pk__in=ids).delete()[0]
