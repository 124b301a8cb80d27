"""Statuses move forward only; the first open/click is kept (unsaved rows, no database)."""
from datetime import UTC, datetime, timedelta

import pytest

from consumers.email.models import EmailLog
from consumers.log_rows import Change
from consumers.log_rows import callback_changes as changes
from consumers.sms.models import SMSLog

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("current", "reported", "after"), [
    ("PENDING", "SENT", "SENT"),
    ("SENT", "DELIVERED", "DELIVERED"),
    ("DELIVERED", "SENT", None),  # a late "sent"
    ("DELIVERED", "UNDELIVERED", None),  # the first final outcome wins
    ("UNDELIVERED", "DELIVERED", None),
    ("REJECTED", "FAILED", None),
    ("EXPIRED", "DELIVERED", None),
    ("SOMETHING_NEW", "DELIVERED", None),  # a status this code does not know is left alone
])
def test_sms_statuses_move_forward_only(current, reported, after):
    assert changes(SMSLog(status=current), Change(status=reported, at=T0)).get("status") == after


@pytest.mark.parametrize(("current", "reported", "after"), [
    ("SENT", "DELIVERED", "DELIVERED"),
    ("DELIVERED", "BOUNCED", "BOUNCED"),  # an asynchronous bounce
    ("DELIVERED", "COMPLAINED", "COMPLAINED"),
    ("SENT", "REJECTED", "REJECTED"),
    ("BOUNCED", "DELIVERED", None),
    ("COMPLAINED", "BOUNCED", None),
    ("FAILED", "SENT", None),
])
def test_email_statuses_move_forward_only(current, reported, after):
    assert changes(EmailLog(status=current), Change(status=reported, at=T0)).get("status") == after


def test_delivered_takes_the_providers_time_and_a_failure_its_reason():
    row = EmailLog(status="SENT", delivered_at=T0 - timedelta(minutes=5))
    assert changes(row, Change(status="DELIVERED", at=T0)) == {"status": "DELIVERED", "delivered_at": T0}
    assert changes(row, Change(status="BOUNCED", error="bounced: no such user")) == {
        "status": "BOUNCED", "error_message": "bounced: no such user"}


def test_first_open_and_click_are_kept_even_when_reported_late():
    row = EmailLog(status="SENT", opened_at=T0, clicked_at=None)
    assert changes(row, Change(opened_at=T0 + timedelta(minutes=1))) == {}
    assert changes(row, Change(opened_at=T0 - timedelta(minutes=1))) == {"opened_at": T0 - timedelta(minutes=1)}
    assert changes(row, Change(clicked_at=T0)) == {"clicked_at": T0}


def test_a_status_less_change_changes_nothing():
    assert changes(SMSLog(status="SENT"), Change()) == {}
