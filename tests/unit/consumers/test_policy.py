"""The policy steps before a provider call (consumers/policy.py): the first that withholds a message decides."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.notifications import Notification, expires_after_minutes
from consumers.policy import POLICY, Withheld, expiry, withheld
from outbox.events import get_event_type
from outbox.events.samples import sample

EMITTED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OTP = Notification("auth_otp", "emails/auth/otp", lambda data: ["a@example.com"], expires=expires_after_minutes)
NOTICE = Notification("auth_notice", "emails/auth/notice", lambda data: ["a@example.com"])


def _otp(emitted: datetime | None = EMITTED) -> InboundEvent:
    data = get_event_type("auth.otp_requested").parse(sample("auth.otp_requested"))
    return InboundEvent(id=uuid.uuid4(), type="auth.otp_requested", key=data.partition_key(), data=data,
                        emitted_at=emitted)


def _minutes(event: InboundEvent) -> int:
    return event.data.expiry_minutes


def test_a_message_inside_its_expiry_passes():
    event = _otp()
    assert withheld(event, OTP, "a@example.com", EMITTED + timedelta(minutes=_minutes(event)) - timedelta(seconds=1)) \
        is None


def test_a_message_at_or_past_its_expiry_is_withheld_as_expired():
    event = _otp()
    at = EMITTED + timedelta(minutes=_minutes(event))
    for now in (at, at + timedelta(hours=1)):
        stop = withheld(event, OTP, "a@example.com", now)
        assert stop == Withheld(DeliveryStatus.EXPIRED, f"not sent: expired at {at.isoformat()}")


def test_a_notification_without_expiry_and_an_event_without_a_time_never_expire():
    late = EMITTED + timedelta(days=365)
    assert withheld(_otp(), NOTICE, "a@example.com", late) is None
    assert withheld(_otp(emitted=None), OTP, "a@example.com", late) is None


def test_the_first_step_that_withholds_decides_and_later_steps_are_not_asked():
    asked = []

    def step(name, stop):
        def decide(event, notification, recipient, now):
            asked.append(name)
            return stop
        return decide

    skipped = Withheld(DeliveryStatus.SKIPPED, "not sent: opted out")
    steps = (step("first", None), step("second", skipped), step("third", Withheld(DeliveryStatus.FAILED, "x")))
    assert withheld(_otp(), NOTICE, "a@example.com", EMITTED, steps) is skipped
    assert asked == ["first", "second"]


def test_no_steps_withhold_nothing_and_expiry_is_the_policy_today():
    assert withheld(_otp(), OTP, "a@example.com", EMITTED + timedelta(days=1), steps=()) is None
    assert POLICY == (expiry,)
