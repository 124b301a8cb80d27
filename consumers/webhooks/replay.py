"""Replay protection. Every accepted callback leaves a receipt: the provider and a SHA-256
digest of the content the provider signed (or, for unsigned ones, sent). The same callback
again hits the receipt's unique constraint and is refused as a replay.

Receipts are kept WEBHOOK_REPLAY_WINDOW_DAYS and purged after that (at most once an hour
per process, on the way out of a callback). Callbacks that carry their own time (email
events) and are older than the window are refused outright, so a purged receipt cannot be
reused; SMS callbacks carry no time, and once their receipt is gone a replay still changes
nothing, because statuses only move forward (consumers/log_rows.py, advance).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from chesanto_comms.conf import comms
from consumers.webhooks.models import WebhookReceipt

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600  # how often one process deletes expired receipts
_last_purge = 0.0  # time.monotonic() of this process's last purge


def digest(parts: Iterable) -> str:
    """A stable digest of a callback's content (order and JSON spacing do not matter)."""
    canonical = json.dumps(list(parts), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def window() -> timedelta:
    return timedelta(days=comms.WEBHOOK_REPLAY_WINDOW_DAYS)


def too_old(happened_at: datetime | None) -> bool:
    """A callback about something older than the window may be a replay we no longer remember."""
    return happened_at is not None and happened_at < timezone.now() - window()


def remember(provider: str, content_digest: str) -> bool:
    """Record the receipt; False if it was already there (a replay). Call inside a transaction."""
    try:
        with transaction.atomic():  # a savepoint: a duplicate key must not break the caller's transaction
            WebhookReceipt.objects.create(provider=provider, digest=content_digest)
    except IntegrityError:
        return False
    return True


def purge_expired() -> int:
    """Delete receipts older than the window; returns how many."""
    deleted, _ = WebhookReceipt.objects.filter(created_at__lt=timezone.now() - window()).delete()
    return deleted


def purge_now_and_then() -> None:
    global _last_purge
    if time.monotonic() - _last_purge < PURGE_EVERY_SECONDS:
        return
    _last_purge = time.monotonic()
    deleted = purge_expired()
    if deleted:
        log.info("purged %d webhook receipts older than %s", deleted, window())
