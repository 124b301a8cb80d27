"""The relay as a process: NOTIFY wake-up and clean stops."""
from __future__ import annotations

import signal
import time

import pytest

from outbox import emit
from outbox.models import OutboxEvent
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_relay_wakes_on_notify_without_waiting_for_its_poll(comms_env, unique_email):
    relay = ManagedProcess("relay", "--poll-interval", "120", env=comms_env)
    try:
        wait_until(lambda: "listening for NOTIFY" in relay.log(), timeout=30, what="relay start")
        time.sleep(0.5)  # let its first (empty) claim pass, so only a NOTIFY can find the event
        event_id = emit("auth.otp_requested", {"email": unique_email(), "name": "N", "code": "1234"})
        # Published long before the 120 s poll would have found it: the NOTIFY woke the relay.
        row = wait_until(lambda: OutboxEvent.objects.filter(id=event_id, published_at__isnull=False).first(),
                         timeout=20, what="publication")
        assert row.kafka_offset is not None and row.attempts == 1
    finally:
        assert relay.stop(signal.SIGINT) == 0, relay.log()
    assert "relay stopped after publishing" in relay.log()


def test_relay_stops_on_sigterm_promptly(comms_env):
    relay = ManagedProcess("relay", env=comms_env)
    wait_until(lambda: "relay started" in relay.log(), timeout=30, what="relay start")
    assert relay.stop(signal.SIGTERM, timeout=10) == 0, relay.log()
