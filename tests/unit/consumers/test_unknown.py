"""An operator's decisions on rows held UNKNOWN (consumers/unknown.py)."""
from __future__ import annotations

import pytest
from django.utils import timezone

from consumers.sms.models import SMSLog
from consumers.unknown import Decision, decide
from outbox import emit
from outbox.events.samples import sample
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def held(event_id=None, phone="+254722334455") -> SMSLog:
    return SMSLog.objects.create(event_id=event_id, phone_number=phone, template="sms_sales_payment_receipt",
                                 status="UNKNOWN", claimed=False, error_message="interrupted; held")


def published_receipt():
    event_id = emit("sales.payment_received", sample("sales.payment_received"))
    OutboxEvent.objects.filter(pk=event_id).update(published_at=timezone.now())
    return event_id


def test_send_again_reopens_the_row_and_republishes_its_event():
    event_id = published_receipt()
    row = held(event_id)
    decided = decide(SMSLog.objects.filter(pk=row.pk), Decision.SEND_AGAIN, "grace")
    assert (decided.rows, decided.skipped, decided.not_republished) == (1, 0, 0)
    row.refresh_from_db()
    assert row.status == "PENDING" and row.error_message.startswith("send again: decided by grace at ")
    assert OutboxEvent.objects.get(pk=event_id).published_at is None  # the relay publishes it again


def test_send_again_says_when_the_event_is_no_longer_in_the_outbox():
    decided = decide(SMSLog.objects.filter(pk=held().pk), Decision.SEND_AGAIN, "grace")
    assert (decided.rows, decided.not_republished) == (1, 1)


@pytest.mark.parametrize(("decision", "status"), [(Decision.ARRIVED, "SENT"), (Decision.NOT_ARRIVED, "FAILED")])
def test_arrived_or_not_finishes_the_row_and_leaves_other_rows_alone(decision, status):
    row, other = held(), SMSLog.objects.create(phone_number="+254711000111", template="sms_sales_payment_receipt",
                                               status="SENT", error_message="")
    decided = decide(SMSLog.objects.filter(pk__in=[row.pk, other.pk]), decision, "grace")
    assert (decided.rows, decided.skipped) == (1, 1)
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.status == status and "decided by grace" in row.error_message
    assert (other.status, other.error_message) == ("SENT", "")
