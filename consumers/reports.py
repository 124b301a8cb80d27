"""The seed's two monitoring queries, for the admin's reports page."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, FloatField, Q
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


def reports_context() -> dict:
    return {
        "email_failures": failures_last_24h(EmailLog),
        "sms_failures": failures_last_24h(SMSLog),
        "email_rates": success_rate_by_template(EmailLog),
        "sms_rates": success_rate_by_template(SMSLog),
    }
