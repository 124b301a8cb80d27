"""Scheduled sends through a real relay process: held until due, published within a second after,
not blocking their key's other rows; cancelled ones never published."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from outbox import NotCancellable, cancel, emit
from outbox.events.samples import sample
from outbox.models import OutboxEvent, ScheduledEvent
from tests.integration.relay.conftest import keys_for, read_topic, wait_connected, wait_published

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DUE_IN = 3.0  # seconds: long enough to see the row held, short for the test


def otp(email: str, name: str) -> dict:
    return {**sample("auth.otp_requested"), "email": email, "name": name}


def test_a_scheduled_event_is_published_after_it_is_due_and_never_before(relay_env, relays):
    wait_connected(relays.start(relay_env))
    [key] = keys_for("scheduled", 1)
    due = datetime.now(timezone.utc) + timedelta(seconds=DUE_IN)
    scheduled = emit("auth.otp_requested", otp(key, "scheduled"), deliver_at=due)
    immediate = emit("auth.otp_requested", otp(key, "immediate"))  # later, same key: not held back by it

    wait_published([immediate], timeout=10)
    time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds() - 0.5))
    assert not OutboxEvent.objects.filter(pk=scheduled).exists(), "released before it was due"

    wait_published([scheduled], timeout=10)
    row = OutboxEvent.objects.get(pk=scheduled)
    assert row.deliver_at == due
    # Promptly: RELAY_RELEASE_INTERVAL (0.25 s) and one publish; 2 s of slack for a loaded CI machine
    # (bench/scheduling_bench.py measures the p99: under 0.3 s at 1,000 due events/s).
    assert due <= row.published_at < due + timedelta(seconds=2), row.published_at - due
    records = read_topic(f"{relay_env['OUTBOX_TOPIC_PREFIX']}auth", {str(scheduled), str(immediate)})
    assert [r.ce_id for r in records if r.key == key] == [str(immediate), str(scheduled)]


def test_a_cancelled_event_is_never_published_and_a_published_one_cannot_be_cancelled(relay_env, relays):
    wait_connected(relays.start(relay_env))
    [key] = keys_for("cancelled", 1)
    due = datetime.now(timezone.utc) + timedelta(seconds=2)
    withdrawn = emit("auth.otp_requested", otp(key, "withdrawn"), deliver_at=due)
    kept = emit("auth.otp_requested", otp(key, "kept"), deliver_at=due)
    assert cancel(withdrawn) is True

    wait_published([kept], timeout=10)
    time.sleep(1.0)  # a relay round or four past due
    assert not OutboxEvent.objects.filter(pk=withdrawn).exists()
    assert not ScheduledEvent.objects.filter(pk__in=[withdrawn, kept]).exists()
    with pytest.raises(NotCancellable, match="was already published"):
        cancel(kept)
