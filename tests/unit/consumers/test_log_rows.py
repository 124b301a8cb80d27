"""A batch's log rows: one INSERT (rows an earlier delivery left are read back), one UPDATE."""
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consumers.email.models import EmailLog
from consumers.log_rows import finish_rows, insert_or_get_many
from consumers.sms.models import SMSLog

pytestmark = pytest.mark.django_db


def rows(event_id, recipients):
    return [({"event_id": event_id, "template": "auth_otp", "recipient": r},
             {"subject": "", "context_data": {"n": i}, "provider": "smtp"}) for i, r in enumerate(recipients)]


def test_new_and_existing_rows_in_two_statements():
    event = uuid.uuid4()
    old = EmailLog.objects.create(event_id=event, template="auth_otp", recipient="b@example.com", subject="s",
                                  status="SENT")
    with CaptureQueriesContext(connection) as queries:
        entries = insert_or_get_many(EmailLog, rows(event, ["a@example.com", "b@example.com", "c@example.com"]))
    assert len(queries) == 2  # the INSERT, and one SELECT for the row that was there
    assert [e.recipient for e in entries] == ["a@example.com", "b@example.com", "c@example.com"]
    assert entries[1].pk == old.pk and entries[1].status == "SENT"
    assert [e.status for e in (entries[0], entries[2])] == ["PENDING", "PENDING"]
    assert EmailLog.objects.filter(event_id=event).count() == 3


def test_finishing_a_batch_is_one_update_of_every_type_of_column():
    event = uuid.uuid4()
    entries = insert_or_get_many(SMSLog, [({"event_id": event, "template": "sms_auth_otp", "phone_number": p},
                                           {"message": "", "provider": "africastalking"}) for p in ("+254700000001", "+254700000002")])
    now = timezone.now()
    entries[0].status, entries[0].cost, entries[0].segments, entries[0].delivered_at = "SENT", Decimal("0.80"), 1, now
    entries[1].status, entries[1].error_message, entries[1].retry_count = "FAILED", "InvalidPhoneNumber", 1
    with CaptureQueriesContext(connection) as queries:
        assert finish_rows(entries) == {}
    assert len(queries) == 1
    first, second = (SMSLog.objects.get(pk=e.pk) for e in entries)
    assert (first.status, first.cost, first.segments, first.delivered_at) == ("SENT", Decimal("0.80"), 1, now)
    assert (second.status, second.error_message, second.retry_count, second.cost) == ("FAILED", "InvalidPhoneNumber", 1, None)


def test_a_row_the_database_refuses_is_the_only_one_left_unwritten():
    entries = insert_or_get_many(EmailLog, rows(uuid.uuid4(), ["a@example.com", "b@example.com"]))
    entries[0].status, entries[0].subject = "SENT", "fine"
    entries[1].status, entries[1].subject = "SENT", "nul \x00 byte"
    failed = finish_rows(entries)
    assert list(failed) == [1]
    assert EmailLog.objects.get(pk=entries[0].pk).status == "SENT"
    assert EmailLog.objects.get(pk=entries[1].pk).status == "PENDING"
