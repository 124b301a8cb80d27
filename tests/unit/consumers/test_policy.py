"""The policy steps before a provider call (consumers/policy.py): the first that withholds a message decides;
expiry, preferences (critical bypasses), suppression (critical passes only a soft one)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from consumers.consent import Facts
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.models import Suppression
from consumers.notifications import Notification, expires_after_minutes
from consumers.policy import POLICY, Why, Withheld, expiry, preferences, suppression, switched_off, withheld
from consumers.template_overrides import using
from consumers.template_store import build
from outbox.events import get_event_type
from outbox.events.categories import Category
from outbox.events.samples import sample

EMITTED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOTHING = Facts("email")  # nobody said anything, nothing suppressed
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
    assert withheld(event, OTP, "a@example.com", EMITTED + timedelta(minutes=_minutes(event)) - timedelta(seconds=1),
                    NOTHING) \
        is None


def test_a_message_at_or_past_its_expiry_is_withheld_as_expired():
    event = _otp()
    at = EMITTED + timedelta(minutes=_minutes(event))
    for now in (at, at + timedelta(hours=1)):
        stop = withheld(event, OTP, "a@example.com", now, NOTHING)
        assert stop == Withheld(DeliveryStatus.EXPIRED, f"not sent: expired at {at.isoformat()}", Why.EXPIRED)


def test_a_notification_without_expiry_and_an_event_without_a_time_never_expire():
    late = EMITTED + timedelta(days=365)
    assert withheld(_otp(), NOTICE, "a@example.com", late, NOTHING) is None
    assert withheld(_otp(emitted=None), OTP, "a@example.com", late, NOTHING) is None


def test_the_first_step_that_withholds_decides_and_later_steps_are_not_asked():
    asked = []

    def step(name, stop):
        def decide(event, notification, recipient, now, facts):
            asked.append(name)
            return stop
        return decide

    skipped = Withheld(DeliveryStatus.SKIPPED, "not sent: opted out")
    steps = (step("first", None), step("second", skipped), step("third", Withheld(DeliveryStatus.FAILED, "x")))
    assert withheld(_otp(), NOTICE, "a@example.com", EMITTED, NOTHING, steps) is skipped
    assert asked == ["first", "second"]


def test_no_steps_withhold_nothing_and_the_policy_is_in_its_documented_order():
    assert withheld(_otp(), OTP, "a@example.com", EMITTED + timedelta(days=1), NOTHING, steps=()) is None
    assert POLICY == (switched_off, expiry, preferences, suppression)


def test_a_switched_off_notification_is_skipped_before_any_other_step_even_critical():
    off = build("g", [], {"auth_otp"})
    with using(off):
        stop = withheld(_otp(), OTP, "a@example.com", EMITTED + timedelta(days=1), NOTHING)
        assert stop == Withheld(DeliveryStatus.SKIPPED, "not sent: the auth_otp notification is switched off "
                                "(MessageTemplate.is_active)", Why.SWITCHED_OFF)
        assert withheld(_otp(), NOTICE, "a@example.com", EMITTED, NOTHING) is None


def _event(event_type: str) -> InboundEvent:
    data = get_event_type(event_type).parse(sample(event_type))
    return InboundEvent(id=uuid.uuid4(), type=event_type, key=data.partition_key(), data=data, emitted_at=EMITTED)


def _suppressed(reason) -> Facts:
    row = Suppression(channel="email", address="a@example.com", reason=reason, source="test webhook",
                      created_at=EMITTED)
    return Facts("email", {"a@example.com": "a@example.com"}, {}, {"a@example.com": row})


def test_an_opted_out_recipient_is_suppressed_but_a_critical_message_is_sent():
    facts = Facts("email", {"a@example.com": "a@example.com"}, {("a@example.com", "transactional"): False,
                                                                 ("a@example.com", "critical"): False})
    stop = withheld(_event("sales.order_confirmed"), NOTICE, "a@example.com", EMITTED, facts)
    assert stop.status == DeliveryStatus.SUPPRESSED and stop.why == Why.OPTED_OUT
    assert "opted out of transactional messages by email" in stop.reason
    assert withheld(_event("auth.otp_requested"), NOTICE, "a@example.com", EMITTED, facts) is None


def test_marketing_is_withheld_until_the_recipient_opts_in():
    # No marketing event type ships yet; the steps read only the data's category.
    event = InboundEvent(id=uuid.uuid4(), type="news.announced", key="k", data=SimpleNamespace(category=Category.MARKETING))
    stop = withheld(event, NOTICE, "a@example.com", EMITTED, NOTHING)
    assert stop.status == DeliveryStatus.SUPPRESSED and "opted out of marketing" in stop.reason
    opted_in = Facts("email", {"a@example.com": "a@example.com"}, {("a@example.com", "marketing"): True})
    assert withheld(event, NOTICE, "a@example.com", EMITTED, opted_in) is None


def test_a_suppressed_address_gets_nothing_and_critical_passes_only_a_soft_suppression():
    order, otp = _event("sales.order_confirmed"), _event("auth.otp_requested")
    for reason in Suppression.Reason:
        stop = withheld(order, NOTICE, "a@example.com", EMITTED, _suppressed(reason))
        assert stop.status == DeliveryStatus.SUPPRESSED and stop.why == reason
        assert "test webhook" in stop.reason
    for reason in (Suppression.Reason.HARD_BOUNCE, Suppression.Reason.INVALID, Suppression.Reason.MANUAL):
        assert withheld(otp, NOTICE, "a@example.com", EMITTED, _suppressed(reason)).status == DeliveryStatus.SUPPRESSED
    for reason in (Suppression.Reason.COMPLAINT, Suppression.Reason.OPTED_OUT):
        assert withheld(otp, NOTICE, "a@example.com", EMITTED, _suppressed(reason)) is None
    # Addresses are compared without case.
    assert withheld(order, NOTICE, "A@Example.COM", EMITTED, _suppressed(Suppression.Reason.HARD_BOUNCE)) is not None


def test_preferences_come_before_suppression():
    facts = Facts("email", {"a@example.com": "a@example.com"}, {("a@example.com", "transactional"): False},
                  _suppressed(Suppression.Reason.HARD_BOUNCE).suppressed)
    assert withheld(_event("sales.order_confirmed"), NOTICE, "a@example.com", EMITTED, facts).why == Why.OPTED_OUT
