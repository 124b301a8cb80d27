"""The seed's two monitoring queries, for the admin's reports page."""
from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from django.db.models import Count, F, FloatField, Model, Q
from django.db.models.functions import Cast, Round
from django.utils import timezone

from consumers.models import EmailLog, SMSLog


def failures_last_24h(model=EmailLog, limit: int = 200):
    """Failed messages in the last 24 hours, newest first."""
    since = timezone.now() - timedelta(hours=24)
    return model.objects.filter(status="FAILED", sent_at__gte=since).order_by("-sent_at")[:limit]


def success_rate_by_template(model=EmailLog, days: int = 7):
    """Per template over `days`: total, sent, success rate in percent (SENT, or DELIVERED for SMS)."""
    since = timezone.now() - timedelta(days=days)
    succeeded = Q(status="SENT") | Q(status="DELIVERED")
    return (
        model.objects.filter(sent_at__gte=since)
        .values("template")
        .annotate(total=Count("id"), sent=Count("id", filter=succeeded))
        .annotate(success_rate=Round(Cast(F("sent"), FloatField()) * 100.0 / F("total"), 2))
        .order_by("-total", "template")
    )


def reports_context(models: Collection[type[Model]] = (EmailLog, SMSLog)) -> dict:
    """The page's figures for the log models in `models` (those the user may view); the others are left out."""
    context = {}
    for prefix, model in (("email", EmailLog), ("sms", SMSLog)):
        if model in models:
            context.update({f"show_{prefix}": True, f"{prefix}_failures": failures_last_24h(model),
                            f"{prefix}_rates": success_rate_by_template(model)})
    return context
