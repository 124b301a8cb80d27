"""The seed's two monitoring queries, for the admin's reports page, on every channel's log."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, FloatField, Q
from django.db.models.functions import Cast, Round
from django.utils import timezone

from consumers.channels import channel_class, log_models
from consumers.delivery_log import DeliveryStatus


def failures_last_24h(model, limit: int = 200):
    """Failed messages in the last 24 hours, newest first."""
    since = timezone.now() - timedelta(hours=24)
    return model.objects.filter(status=DeliveryStatus.FAILED, sent_at__gte=since).order_by("-sent_at")[:limit]


def success_rate_by_template(model, days: int = 7):
    """Per template over `days`: total, sent, success rate in percent (SENT, or DELIVERED once confirmed)."""
    since = timezone.now() - timedelta(days=days)
    succeeded = Q(status=DeliveryStatus.SENT) | Q(status=DeliveryStatus.DELIVERED)
    return (
        model.objects.filter(sent_at__gte=since)
        .values("template")
        .annotate(total=Count("id"), sent=Count("id", filter=succeeded))
        .annotate(success_rate=Round(Cast(F("sent"), FloatField()) * 100.0 / F("total"), 2))
        .order_by("-total", "template")
    )


@dataclass(frozen=True)
class ChannelReport:
    name: str
    label: str
    change_url: str  # the admin URL name of one log row
    failures: object
    rates: object


def reports_context(channels: Collection[str] | None = None) -> dict:
    """The reports of `channels` (default: every channel; the admin passes those whose log the user
    may view), in registry order."""
    models = log_models()
    return {"channels": [
        ChannelReport(name, channel_class(name).label, f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                      failures_last_24h(model), success_rate_by_template(model))
        for name, model in models.items() if channels is None or name in channels
    ]}
