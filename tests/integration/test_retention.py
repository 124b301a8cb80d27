"""Log retention: old rows go in batches, recent ones stay."""
from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from consumers.email.models import EmailLog
from consumers.sms.models import SMSLog

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def email_log(age_days: int) -> EmailLog:
    log = EmailLog.objects.create(event_id=uuid.uuid4(), recipient="a@example.com", template="auth_otp", subject="s")
    EmailLog.objects.filter(pk=log.pk).update(sent_at=timezone.now() - timedelta(days=age_days))
    return log


def test_cleanup_email_logs_deletes_only_old_rows_in_batches():
    old = [email_log(400) for _ in range(5)]
    recent = [email_log(10), email_log(364)]
    out = StringIO()
    call_command("cleanup_email_logs", "--batch-size", "2", stdout=out)
    assert "Deleted 5 old email logs" in out.getvalue()
    assert not EmailLog.objects.filter(pk__in=[log.pk for log in old]).exists()
    assert EmailLog.objects.filter(pk__in=[log.pk for log in recent]).count() == 2


def test_cleanup_sms_logs_honours_days():
    log = SMSLog.objects.create(event_id=uuid.uuid4(), phone_number="+254700000001", message="m", template="t", provider="x")
    SMSLog.objects.filter(pk=log.pk).update(sent_at=timezone.now() - timedelta(days=40))
    call_command("cleanup_sms_logs", "--days", "60", stdout=StringIO())
    assert SMSLog.objects.filter(pk=log.pk).exists()
    call_command("cleanup_sms_logs", "--days", "30", stdout=StringIO())
    assert not SMSLog.objects.filter(pk=log.pk).exists()


def test_cleanup_refuses_to_delete_everything():
    with pytest.raises(CommandError, match="younger than 1 day"):
        call_command("cleanup_email_logs", "--days", "0")


@pytest.mark.django_db(transaction=True)  # outbox_purge commits batch by batch
def test_cleanup_runs_the_whole_schedule():
    from outbox import emit
    from outbox.models import OutboxEvent

    old_log = email_log(400)
    event_id = emit("auth.otp_requested", {"email": "a@example.com", "name": "A", "code": "1234"})
    month_ago = timezone.now() - timedelta(days=30)
    OutboxEvent.objects.filter(id=event_id).update(created_at=month_ago, published_at=month_ago)
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert "Deleted 1 old email logs" in out.getvalue() and "Deleted 0 old SMS logs" in out.getvalue()
    assert "purged 1 published rows" in out.getvalue() and "webhook receipts" in out.getvalue()
    assert not EmailLog.objects.filter(pk=old_log.pk).exists() and not OutboxEvent.objects.filter(id=event_id).exists()


@pytest.mark.django_db(transaction=True)  # outbox_purge commits batch by batch
def test_with_debezium_publishing_outbox_rows_are_purged_by_age_alone(settings):
    from outbox import emit
    from outbox.models import OutboxEvent

    old, new = (emit("auth.otp_requested", {"email": f"{n}@example.com", "name": "A", "code": "1234"})
                for n in ("old", "new"))
    OutboxEvent.objects.filter(id=old).update(created_at=timezone.now() - timedelta(days=30))  # never marked published
    out = StringIO()
    call_command("outbox_purge", stdout=out)
    assert "purged 0 published rows" in out.getvalue()  # the relay's rule: an unpublished row stays
    settings.OUTBOX_PUBLISHER = "debezium"
    call_command("outbox_purge", "--dry-run", stdout=out)
    call_command("outbox_purge", stdout=out)
    assert "1 rows (OUTBOX_PUBLISHER=debezium: by age alone) are older than" in out.getvalue()
    assert "purged 1 rows (OUTBOX_PUBLISHER=debezium: by age alone)" in out.getvalue()
    assert list(OutboxEvent.objects.filter(id__in=[old, new]).values_list("id", flat=True)) == [new]
