"""Recipients' preferences and suppressions (consumers/consent.py, preferences.py, suppressions.py): the current
state derived from the append-only history, the defaults, and a batch's look-up in a bounded number of queries."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from chesanto_comms.conf import comms
from chesanto_comms.env import SettingError
from consumers import consent, preferences, profiles
from consumers.batch import Batch, local_lease
from consumers.channels import get_channel
from consumers.delivery_log import DeliveryStatus
from consumers.email.models import EmailLog
from consumers.events import InboundEvent
from consumers.models import ConsentChange, Suppression
from consumers.suppressions import LiftReasonRequired, lift, suppress
from outbox.events import get_event_type
from outbox.events.samples import sample

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def change(opted_in, minutes, pk):
    return ConsentChange(pk=pk, recipient="a@example.com", category="marketing", channel="email", opted_in=opted_in,
                         source="api", created_at=T0 + timedelta(minutes=minutes))


def test_the_latest_change_decides_and_without_one_the_default():
    assert consent.current([], "marketing", "email") is False  # marketing: opt-in only
    assert consent.current([], "transactional", "email") is True
    assert consent.current([change(True, 0, 1)], "marketing", "email") is True
    assert consent.current([change(False, 5, 2), change(True, 0, 1)], "marketing", "email") is False
    assert consent.current([change(True, 5, 3), change(False, 5, 2)], "marketing", "email") is True  # same time: later row


def test_defaults_come_from_the_setting_by_category_then_channel(settings):
    settings.COMMS_CONSENT_DEFAULTS = {"operational": "out", "transactional.sms": "out"}
    assert consent.default_opted_in("operational", "email") is False
    assert consent.default_opted_in("transactional", "sms") is False
    assert consent.default_opted_in("transactional", "email") is True
    assert consent.default_opted_in("marketing", "email") is True  # named nowhere: in (the setting replaces the default)
    assert consent.default_opted_in("critical", "sms") is True


@pytest.mark.parametrize("value, problem", [
    ({"marketing": "in"}, "opt-in only"), ({"critical": "out"}, "always sent"), ({"operational": "maybe"}, "in or out"),
])
def test_a_default_that_breaks_a_rule_is_refused_by_name(monkeypatch, value, problem):
    setting = next(s for s in comms if s.name == "COMMS_CONSENT_DEFAULTS")
    monkeypatch.setenv("COMMS_CONSENT_DEFAULTS", ",".join(f"{k}={v}" for k, v in value.items()))
    with pytest.raises(SettingError, match=problem):
        setting.resolve()


def test_set_appends_and_get_reads_the_latest_for_addresses_numbers_and_users():
    user = get_user_model().objects.create_user("wanjiku", "wanjiku@example.com")
    assert preferences.get("Wanjiku@Example.com", "marketing", "email") is False
    preferences.set("Wanjiku@Example.com", "marketing", "email", True, wording="Send me offers by email")
    preferences.set("wanjiku@example.com", "marketing", "email", False, source="link", wording="Unsubscribe")
    assert preferences.get("wanjiku@example.com", "marketing", "email") is False
    assert [c.opted_in for c in preferences.history("wanjiku@example.com")] == [False, True]
    preferences.set("0712 345 678", "transactional", "sms", False)
    assert preferences.get("+254712345678", "transactional", "sms") is False
    preferences.set(user, "operational", "inbox", False, by=user)
    assert ConsentChange.objects.get(recipient=f"user:{user.pk}").changed_by == user
    with pytest.raises(ValueError, match="never edited"):
        ConsentChange.objects.first().save()


@pytest.mark.parametrize("args, problem", [
    (("a@example.com", "critical", "email", False), "always sent"),
    (("a@example.com", "news", "email", False), "not a category"),
    (("a@example.com", "marketing", "fax", False), "not an installed channel"),
    (("not a number", "marketing", "sms", False), "names no recipient"),
])
def test_set_refuses_what_cannot_be_recorded(args, problem):
    with pytest.raises(preferences.PreferenceError, match=problem):
        preferences.set(*args)


def test_suppressing_twice_keeps_one_active_row_and_lifting_needs_a_reason():
    assert suppress("email", "Gone@Example.com", Suppression.Reason.HARD_BOUNCE, "postmark webhook") is True
    assert suppress("email", "gone@example.com", Suppression.Reason.COMPLAINT, "postmark webhook") is False
    rows = Suppression.objects.filter(address="gone@example.com")
    with pytest.raises(LiftReasonRequired):
        lift(rows, None, "  ")
    assert lift(rows, None, "the mailbox exists again") == 1
    assert suppress("email", "gone@example.com", Suppression.Reason.HARD_BOUNCE, "postmark webhook") is True
    assert [r.active for r in Suppression.objects.filter(address="gone@example.com").order_by("pk")] == [False, True]


def test_a_batch_reads_preferences_suppressions_and_profiles_in_three_queries_whatever_its_size(
        django_assert_num_queries):
    channel = get_channel("email")
    recipients = [f"r{i}@example.com" for i in range(200)]
    for r in recipients[:50]:
        preferences.set(r, "transactional", "email", False)
        preferences.set(r, "transactional", "email", True)
    for r in recipients[50:60]:
        suppress("email", r, Suppression.Reason.HARD_BOUNCE, "test")
    profiles.set_language(recipients[3], "sw")
    with django_assert_num_queries(3):
        facts = consent.load(channel, recipients)
    assert facts.language("r3@example.com") == "sw" and facts.language("r4@example.com") is None
    assert facts.opted_in("r0@example.com", "transactional") is True  # the latest of two changes
    assert facts.suppression("R55@example.com").reason == Suppression.Reason.HARD_BOUNCE
    assert facts.suppression("r70@example.com") is None


def _order(address: str) -> InboundEvent:
    data = get_event_type("sales.order_confirmed").parse({**sample("sales.order_confirmed"), "customer_email": address})
    return InboundEvent(id=uuid.uuid4(), type="sales.order_confirmed", key=data.partition_key(), data=data,
                        emitted_at=T0)


def test_a_batch_looks_up_once_and_an_opted_out_recipient_is_logged_suppressed(monkeypatch):
    channel = get_channel("email")
    preferences.set("out@example.com", "transactional", "email", False)
    loads = []
    real = consent.load
    monkeypatch.setattr(consent, "load", lambda *a: loads.append(a) or real(*a))
    monkeypatch.setattr(type(channel), "send", lambda *a: pytest.fail("nothing may be sent"))
    events = [_order("out@example.com") for _ in range(5)]
    batch = Batch(channel, events, [True] * 5, local_lease())
    batch.open()
    assert len(loads) == 1
    for task in batch.tasks(lambda i: True):
        task.run(channel, after_each=batch.write_settled)
    rows = EmailLog.objects.filter(event_id__in=[e.id for e in events])
    assert {(r.status, r.error_message) for r in rows} == {
        (DeliveryStatus.SUPPRESSED, "not sent: the recipient is opted out of transactional messages by email")}
