"""The policy steps before a provider call (consumers/policy.py): the first that withholds a message decides;
expiry, preferences (critical bypasses), suppression (critical passes only a soft one), quiet hours (operational and
marketing SMS, WhatsApp and push only; the recipient's time zone and window)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from consumers.consent import Facts
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.models import RecipientProfile, Suppression
from consumers.notifications import Notification, expires_after_minutes
from consumers.policy import POLICY, Why, Withheld, expiry, preferences, quiet_hours, suppression, switched_off, withheld
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
    assert POLICY == (switched_off, expiry, preferences, suppression, quiet_hours)


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


# --- quiet hours ---------------------------------------------------------------------------------------
PHONE = "+254712345678"
NAIROBI_NIGHT = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)  # 23:00 in Nairobi, 21:00 in London (BST)
STOCK = Notification("sms_inventory_low_stock", "sms/inventory/low_stock", lambda data: [PHONE])


def _on(channel: str, profile: RecipientProfile | None = None) -> Facts:
    return Facts(channel, {PHONE: PHONE}, {}, {}, {PHONE: profile} if profile else {})


@pytest.fixture
def quiet_nights(settings):
    settings.COMMS_QUIET_HOURS = "21:00-07:00"  # the suite runs with them off (tests/settings.py)


def test_an_operational_sms_at_night_is_held_until_the_window_ends(quiet_nights):
    stop = withheld(_event("inventory.stock_low"), STOCK, PHONE, NAIROBI_NIGHT, _on("sms"))
    assert stop.status == DeliveryStatus.HELD and stop.why == Why.QUIET_HOURS
    assert stop.release_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)  # 07:00 in Nairobi
    assert stop.reason == "held: quiet hours 21:00-07:00 Africa/Nairobi; goes at 2026-06-11 04:00 UTC"
    assert withheld(_event("inventory.stock_low"), STOCK, PHONE, datetime(2026, 6, 10, 9, 0, tzinfo=UTC),
                    _on("sms")) is None  # noon in Nairobi


def test_critical_and_transactional_messages_are_never_held(quiet_nights):
    for event_type in ("auth.otp_requested", "auth.security_alert", "sales.payment_received", "sales.order_confirmed"):
        assert withheld(_event(event_type), NOTICE, PHONE, NAIROBI_NIGHT, _on("sms")) is None, event_type


def test_email_and_the_inbox_are_not_held_by_default_but_may_be(quiet_nights, settings):
    for channel in ("email", "inbox"):
        assert withheld(_event("inventory.stock_low"), STOCK, PHONE, NAIROBI_NIGHT, _on(channel)) is None
    for channel in ("sms", "whatsapp", "push"):
        assert withheld(_event("inventory.stock_low"), STOCK, PHONE, NAIROBI_NIGHT, _on(channel)).status == "HELD"
    settings.COMMS_QUIET_HOURS_CHANNELS = ["sms", "email"]
    assert withheld(_event("inventory.stock_low"), STOCK, PHONE, NAIROBI_NIGHT, _on("email")).status == "HELD"
    assert withheld(_event("inventory.stock_low"), STOCK, PHONE, NAIROBI_NIGHT, _on("push")) is None


def test_the_recipients_time_zone_and_own_window_decide(quiet_nights):
    event = _event("inventory.stock_low")
    # 21:00 in London: inside the default window there, held until 07:00 BST (06:00 UTC)
    london = RecipientProfile(key=PHONE, time_zone="Europe/London")
    assert withheld(event, STOCK, PHONE, NAIROBI_NIGHT, _on("sms", london)).release_at == datetime(
        2026, 6, 11, 6, 0, tzinfo=UTC)
    # 23:00 in Nairobi, but her own window starts at midnight
    late = RecipientProfile(key=PHONE, quiet_hours="00:00-06:00")
    assert withheld(event, STOCK, PHONE, NAIROBI_NIGHT, _on("sms", late)) is None
    assert withheld(event, STOCK, PHONE, NAIROBI_NIGHT, _on("sms", RecipientProfile(key=PHONE, quiet_hours="off"))) is None


def test_quiet_hours_come_after_suppression(quiet_nights):
    facts = Facts("sms", {PHONE: PHONE}, {(PHONE, "operational"): False})
    assert withheld(_event("inventory.stock_low"), STOCK, PHONE, NAIROBI_NIGHT, facts).status == "SUPPRESSED"


def test_quiet_hours_off_by_setting_hold_nothing(settings):
    settings.COMMS_QUIET_HOURS = "off"
    assert withheld(_event("inventory.stock_low"), STOCK, PHONE, NAIROBI_NIGHT, _on("sms")) is None
