"""A batch's log rows: opened claimed for one process (one INSERT when all are new), finished by one
UPDATE of the rows it still holds; a row another live process holds is left to it."""
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consumers import log_rows
from consumers.delivery_log import DeliveryStatus
from consumers.email.models import EmailLog
from consumers.log_rows import finish_rows, open_rows
from consumers.models import DeliveryProcess
from consumers.sms.models import SMSLog

pytestmark = pytest.mark.django_db
ME = "email@test:1:aaaaaa"


def rows(event_id, recipients):
    return [({"event_id": event_id, "template": "auth_otp", "recipient": r},
             {"subject": "", "context_data": {"n": i}, "provider": "smtp"}) for i, r in enumerate(recipients)]


def process(token, seen_ago=0.0, stopped=False, lease=30.0):
    now = timezone.now()
    return DeliveryProcess.objects.create(token=token, role="email", host="test", pid=1, started_at=now,
                                          seen_at=now - timedelta(seconds=seen_ago), lease_seconds=lease,
                                          stopped_at=now if stopped else None)


def held_by(token, event, recipient, attempts=1):
    return EmailLog.objects.create(event_id=event, template="auth_otp", recipient=recipient, subject="s",
                                   claimed=True, attempted_by=token, attempts=attempts, attempted_at=timezone.now())


def test_new_rows_are_born_claimed_in_one_statement():
    event = uuid.uuid4()
    with CaptureQueriesContext(connection) as queries:
        opened = open_rows(EmailLog, rows(event, ["a@example.com", "b@example.com"]), ME, may_judge=True)
    assert len(queries) == 1  # the INSERT
    assert all(o.held and not o.interrupted_by for o in opened)
    stored = EmailLog.objects.get(pk=opened[0].entry.pk)
    assert (stored.claimed, stored.attempted_by, stored.attempts, stored.status) == (True, ME, 1, "PENDING")
    assert stored.attempted_at is not None


def test_rows_left_by_earlier_deliveries_are_read_and_pending_ones_claimed():
    event = uuid.uuid4()
    final = EmailLog.objects.create(event_id=event, template="auth_otp", recipient="b@example.com", subject="s",
                                    status="SENT", attempts=1)
    retried = EmailLog.objects.create(event_id=event, template="auth_otp", recipient="c@example.com", subject="s",
                                      retry_count=1, attempts=1)  # a transient failure: PENDING, nobody holds it
    with CaptureQueriesContext(connection) as queries:
        opened = open_rows(EmailLog, rows(event, ["a@example.com", "b@example.com", "c@example.com"]), ME, True)
    assert len(queries) == 3  # the INSERT, one SELECT for the rows that were there, one claiming UPDATE
    assert [o.entry.recipient for o in opened] == ["a@example.com", "b@example.com", "c@example.com"]
    assert [o.held for o in opened] == [True, False, True]
    assert opened[1].entry.pk == final.pk and opened[1].entry.status == "SENT"
    assert (opened[2].entry.pk, opened[2].entry.attempts, opened[2].interrupted_by) == (retried.pk, 2, "")
    assert EmailLog.objects.get(pk=retried.pk).attempted_by == ME


def test_a_row_a_live_process_holds_is_left_to_it():
    event = uuid.uuid4()
    process("email@other:2:bbbbbb")
    held_by("email@other:2:bbbbbb", event, "a@example.com")
    opened, = open_rows(EmailLog, rows(event, ["a@example.com"]), ME, may_judge=True)
    assert not opened.held
    assert EmailLog.objects.get(event_id=event).attempted_by == "email@other:2:bbbbbb"


@pytest.mark.parametrize("holder", ["stopped", "unknown"])
def test_a_row_whose_holder_stopped_or_is_unknown_is_taken_over_as_interrupted(holder):
    event = uuid.uuid4()
    token = f"email@other:3:{holder[:6]}"
    if holder == "stopped":
        process(token, stopped=True)
    held_by(token, event, "a@example.com")
    opened, = open_rows(EmailLog, rows(event, ["a@example.com"]), ME, may_judge=False)  # no judging needed
    assert opened.held and opened.interrupted_by == token
    assert (opened.entry.attempts, opened.entry.attempted_by) == (2, ME)


def test_a_holder_not_seen_for_its_lease_is_gone_only_to_a_process_that_may_judge():
    event = uuid.uuid4()
    process("email@other:4:cccccc", seen_ago=45, lease=30)
    held_by("email@other:4:cccccc", event, "a@example.com")
    assert not open_rows(EmailLog, rows(event, ["a@example.com"]), ME, may_judge=False)[0].held
    taken, = open_rows(EmailLog, rows(event, ["a@example.com"]), ME, may_judge=True)
    assert taken.held and taken.interrupted_by == "email@other:4:cccccc"


def test_a_row_this_process_left_claimed_is_claimed_again_without_counting_an_attempt():
    """An opening cut short after its INSERT: the keys are reserved in the process, so the row is ours."""
    event = uuid.uuid4()
    held_by(ME, event, "a@example.com", attempts=1)
    opened, = open_rows(EmailLog, rows(event, ["a@example.com"]), ME, may_judge=False)
    assert opened.held and opened.interrupted_by == "" and opened.entry.attempts == 1


def test_finishing_is_one_update_of_every_type_of_column_and_ends_the_claim():
    event = uuid.uuid4()
    opened = open_rows(SMSLog, [({"event_id": event, "template": "sms_auth_otp", "phone_number": p},
                                 {"message": "", "provider": "africastalking"}) for p in ("+254700000001", "+254700000002")],
                       ME, True)
    entries = [o.entry for o in opened]
    now = timezone.now()
    entries[0].status, entries[0].cost, entries[0].segments, entries[0].delivered_at = "SENT", Decimal("0.80"), 1, now
    entries[1].status, entries[1].error_message, entries[1].retry_count = "FAILED", "InvalidPhoneNumber", 1
    for entry in entries:
        entry.claimed = False
    with CaptureQueriesContext(connection) as queries:
        assert finish_rows(entries, ME) == ({}, 0)
    assert len(queries) == 1
    first, second = (SMSLog.objects.get(pk=e.pk) for e in entries)
    assert (first.status, first.cost, first.segments, first.delivered_at, first.claimed) == ("SENT", Decimal("0.80"), 1,
                                                                                            now, False)
    assert (second.status, second.error_message, second.retry_count, second.cost) == ("FAILED", "InvalidPhoneNumber", 1,
                                                                                      None)


def test_a_row_taken_over_meanwhile_is_not_overwritten():
    event = uuid.uuid4()
    entry = open_rows(EmailLog, rows(event, ["a@example.com"]), ME, True)[0].entry
    EmailLog.objects.filter(pk=entry.pk).update(attempted_by="email@other:5:dddddd", status="SENT")  # judged gone
    entry.status, entry.claimed = "FAILED", False
    assert finish_rows([entry], ME) == ({}, 1)
    assert EmailLog.objects.get(pk=entry.pk).status == "SENT"


def test_a_row_the_database_refuses_is_the_only_one_left_unwritten():
    entries = [o.entry for o in open_rows(EmailLog, rows(uuid.uuid4(), ["a@example.com", "b@example.com"]), ME, True)]
    entries[0].status, entries[0].subject, entries[0].claimed = "SENT", "fine", False
    entries[1].status, entries[1].subject, entries[1].claimed = "SENT", "nul \x00 byte", False
    refused, lost = finish_rows(entries, ME)
    assert list(refused) == [1] and lost == 0
    assert EmailLog.objects.get(pk=entries[0].pk).status == "SENT"
    assert EmailLog.objects.get(pk=entries[1].pk).status == "PENDING"


# --- a row's life after its opening: every status change is written here ------------------------
def _opened_row(status=DeliveryStatus.PENDING, **fields):
    return EmailLog.objects.create(event_id=uuid.uuid4(), template="auth_otp", recipient="a@example.com",
                                   subject="", provider="smtp", status=status, **fields)


def test_finishing_an_attempt_ends_the_claim_and_counts_what_happened():
    row = EmailLog(status=DeliveryStatus.PENDING, claimed=True, attempts=1, retry_count=0)
    log_rows.finish(row, DeliveryStatus.SENT, called=True)
    assert (row.status, row.claimed, row.attempts, row.retry_count) == (DeliveryStatus.SENT, False, 1, 0)
    assert row.delivered_at is not None
    refused = EmailLog(status=DeliveryStatus.PENDING, claimed=True, attempts=1, retry_count=0)
    log_rows.finish(refused, DeliveryStatus.REJECTED, error="x" * 5000, called=True, failed=True)
    assert (refused.retry_count, len(refused.error_message), refused.delivered_at) == (1, 4000, None)
    expired = EmailLog(status=DeliveryStatus.PENDING, claimed=True, attempts=1, retry_count=0)
    log_rows.finish(expired, DeliveryStatus.EXPIRED, error="not sent")
    assert expired.attempts == 0  # no provider call: the claim's attempt does not count


def test_a_released_row_is_pending_and_unclaimed_its_attempt_uncounted():
    row = EmailLog(status=DeliveryStatus.PENDING, claimed=True, attempts=2)
    log_rows.release(row)
    assert (row.status, row.claimed, row.attempts) == (DeliveryStatus.PENDING, False, 1)


def test_a_callback_advances_a_row_only_forward():
    row = _opened_row(DeliveryStatus.SENT)
    assert log_rows.advance(row, log_rows.Change(status=DeliveryStatus.DELIVERED)) == ["status", "delivered_at"]
    assert log_rows.advance(row, log_rows.Change(status=DeliveryStatus.SENT)) == []
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED


def test_reopening_puts_final_rows_back_to_pending_with_the_note_kept_in_front():
    row = _opened_row(DeliveryStatus.FAILED, error_message="gave up")
    rows = EmailLog.objects.filter(pk=row.pk)
    assert log_rows.reopen(rows, "resent by replay") == 1 and log_rows.reopen(rows, "again") == 0
    rows.update(status=DeliveryStatus.SENT, error_message="attempt 1 was interrupted")
    log_rows.note_reopened(rows, "resent by replay")
    assert rows.get().error_message == "resent by replay; attempt 1 was interrupted"


def test_unrendered_rows_reopen_and_held_rows_take_the_operators_decision():
    unrendered, held, sent = (_opened_row(DeliveryStatus.RENDER_FAILED), _opened_row(DeliveryStatus.UNKNOWN),
                              _opened_row(DeliveryStatus.SENT))
    everything = EmailLog.objects.filter(pk__in=[unrendered.pk, held.pk, sent.pk])
    assert log_rows.reopen_unrendered(everything) == 1
    assert log_rows.decide_held(everything, DeliveryStatus.SENT, "it arrived: decided by ops") == 1
    statuses = dict(everything.values_list("pk", "status"))
    assert statuses == {unrendered.pk: DeliveryStatus.PENDING, held.pk: DeliveryStatus.SENT,
                        sent.pk: DeliveryStatus.SENT}
    assert EmailLog.objects.get(pk=held.pk).delivered_at is not None
