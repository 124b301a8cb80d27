"""Waiting for a delivery log row to become final."""
from __future__ import annotations

from consumers.email.models import EmailLog
from tests.support.waiting import wait_until


def final_email_log(event_id, timeout: float = 40.0, **filters) -> EmailLog:
    return wait_until(
        lambda: EmailLog.objects.filter(event_id=event_id, status__in=EmailLog.FINAL, **filters).first(),
        timeout=timeout, what=f"a final EmailLog for event {event_id}",
    )
