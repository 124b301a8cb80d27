"""Backlog figures for the admin and the status command."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from outbox.models import OutboxEvent


@dataclass(frozen=True)
class Backlog:
    unpublished: int  # waiting to be published (not parked)
    parked: int
    oldest_unpublished_age: timedelta | None


def backlog() -> Backlog:
    unpublished = Q(published_at__isnull=True)
    figures = OutboxEvent.objects.filter(unpublished).aggregate(
        waiting=Count("id", filter=Q(parked_at__isnull=True)),
        parked=Count("id", filter=Q(parked_at__isnull=False)),
        oldest=Min("created_at", filter=Q(parked_at__isnull=True)),
    )
    oldest = figures["oldest"]
    return Backlog(figures["waiting"], figures["parked"], timezone.now() - oldest if oldest else None)
