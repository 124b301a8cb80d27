"""Scheduled sends: `emit(deliver_at=...)` holds the event in outbox_scheduled, the relay's RELEASE
moves it into outbox_event when due (in due-time order), and `cancel()` withdraws it until then."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from django.db import connection

from outbox import InvalidEventData, NotCancellable, ScheduledSendUnsupported, cancel, emit
from outbox.events.samples import sample
from outbox.models import OutboxEvent, ScheduledEvent
from relay.store import RELEASE

pytestmark = pytest.mark.django_db

ALL_SHARDS = list(range(32))


def later(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def otp(email: str, name: str = "Amina") -> dict:
    return {**sample("auth.otp_requested"), "email": email, "name": name}


def release() -> int:
    with connection.cursor() as cursor:
        cursor.execute(RELEASE, {"shards": ALL_SHARDS, "limit": 1000})
        return cursor.rowcount


def test_a_scheduled_event_is_held_out_of_the_outbox_until_released():
    event_id = emit("auth.otp_requested", otp("held@example.com"), deliver_at=later(3600))
    held = ScheduledEvent.objects.get(pk=event_id)
    assert (held.type, held.aggregateid) == ("auth.otp_requested", "held@example.com")
    assert not OutboxEvent.objects.filter(pk=event_id).exists()
    assert release() == 0  # not due: stays held
    assert ScheduledEvent.objects.filter(pk=event_id).exists()


def test_due_events_are_released_in_due_order_then_emit_order_and_future_ones_stay():
    key = f"order-{uuid.uuid4().hex[:6]}@example.com"
    due = later(-1)
    third = emit("auth.otp_requested", otp(key, "third"), deliver_at=due)
    first = emit("auth.otp_requested", otp(key, "first"), deliver_at=later(-5))
    second = emit("auth.otp_requested", otp(key, "second"), deliver_at=due)  # the same due time as third
    future = emit("auth.otp_requested", otp(key, "future"), deliver_at=later(3600))
    immediate = emit("auth.otp_requested", otp(key, "now"))  # not held back by the key's future row

    assert release() == 3
    rows = list(OutboxEvent.objects.filter(aggregateid=key).order_by("seq").values_list("id", "deliver_at"))
    # Ties on the due time keep emit order: `third` was emitted before `second`.
    assert [row_id for row_id, _ in rows] == [immediate, first, third, second]
    assert rows[0][1] is None and all(due is not None for _, due in rows[1:])
    assert list(ScheduledEvent.objects.values_list("id", flat=True)) == [future]


def test_cancel_before_due_deletes_the_held_event_and_it_is_never_released():
    event_id = emit("auth.otp_requested", otp("cancel@example.com"), deliver_at=later(-1))
    assert cancel(event_id) is True
    assert release() == 0
    assert not OutboxEvent.objects.filter(pk=event_id).exists()
    assert cancel(event_id) is False  # nothing held any more: nothing to cancel


def test_cancel_after_release_is_refused_and_says_whether_it_was_published():
    event_id = emit("auth.otp_requested", otp("late@example.com"), deliver_at=later(-1))
    release()
    with pytest.raises(NotCancellable, match="already due and waiting for the relay") as pending:
        cancel(event_id)
    assert pending.value.published is False
    OutboxEvent.objects.filter(pk=event_id).update(published_at=later(0))
    with pytest.raises(NotCancellable, match="was already published; it can no longer be cancelled"):
        cancel(event_id)


def test_an_unknown_event_id_is_not_cancelled():
    assert cancel(uuid.uuid4()) is False


def test_a_naive_deliver_at_is_refused_by_name():
    with pytest.raises(InvalidEventData) as caught:
        emit("auth.otp_requested", otp("naive@example.com"), deliver_at=datetime(2030, 1, 1, 8, 0))
    assert "deliver_at" in caught.value.problems
    assert not ScheduledEvent.objects.exists()


def test_with_debezium_a_scheduled_emit_is_a_clear_error_and_writes_nothing(settings):
    settings.OUTBOX_PUBLISHER = "debezium"
    with pytest.raises(ScheduledSendUnsupported, match="not supported with OUTBOX_PUBLISHER=debezium"):
        emit("auth.otp_requested", otp("cdc@example.com"), deliver_at=later(60))
    assert not ScheduledEvent.objects.exists() and not OutboxEvent.objects.exists()
    emit("auth.otp_requested", otp("cdc@example.com"))  # an immediate emit still works
    assert OutboxEvent.objects.count() == 1


def test_outbox_status_counts_the_held_events_and_those_overdue(capsys):
    emit("auth.otp_requested", otp("soon@example.com"), deliver_at=later(3600))
    emit("auth.otp_requested", otp("stuck@example.com"), deliver_at=later(-60))  # no relay released it
    call_command("outbox_status", "--json")
    scheduled = json.loads(capsys.readouterr().out)["scheduled"]
    assert (scheduled["held"], scheduled["overdue"]) == (2, 1)
    call_command("outbox_status")
    shown = capsys.readouterr().out
    assert "scheduled          2 held, next due" in shown
    assert "OVERDUE 1: due over 10 s ago and not released (is a relay running?)" in shown
