"""Held messages (consumers/holds.py) through the SMS channel's real sequence, the database and the local Africa's
Talking server, without Kafka: a stock alert inside the recipient's quiet hours is HELD and nothing reaches the
provider; when the window ends the releaser sends it once, a key's held messages in the order they were held, and a
released message passes the policy again."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from chesanto_comms.embedded.sms import AfricasTalkingServer
from chesanto_comms.records import ClaimedRow, RecordBuilder, as_message
from consumers import holds, preferences, profiles
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent, event_from_message
from consumers.models import HeldMessage
from consumers.quiet_hours import zone
from consumers.sms.channel import SMSChannel
from consumers.sms.models import SMSLog
from consumers.sms.providers.africastalking import AfricasTalkingProvider
from outbox.events import get_event_type
from outbox.events.samples import sample
from tests.unit.consumers.sms.conftest import provider_for

pytestmark = pytest.mark.django_db


def stock_low(phone: str, stock: str, product: str = "RM-FLOUR-001") -> InboundEvent:
    """The event as a consumer reads it from its Kafka record (the record a held message keeps)."""
    payload = {**sample("inventory.stock_low"), "phones": [phone], "current_stock": stock, "product_id": product}
    row = ClaimedRow(id=str(uuid.uuid4()), aggregatetype="inventory", aggregateid=product, type="inventory.stock_low",
                     payload=payload, headers={}, created_at=datetime.now(UTC))
    return event_from_message(as_message(RecordBuilder()(row)))


def window_around_now(time_zone: str = "Africa/Nairobi") -> str:
    """A window of the recipient's that contains this moment, whenever the test runs."""
    local = datetime.now(zone(time_zone))
    return f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}"


@pytest.fixture
def at_server():
    with AfricasTalkingServer(sender_ids={"CHESANTO"}) as server:
        yield server


@pytest.fixture
def channel(at_server):
    channel = SMSChannel(provider=provider_for(at_server, AfricasTalkingProvider))
    yield channel
    channel.close()


def texts(server, phone: str) -> list[str]:
    return [request.form["message"] for request in server.to(phone)]


def counted(action: str) -> float:
    return REGISTRY.get_sample_value("chesanto_quiet_hours_total", {"channel": "sms", "action": action}) or 0.0


def test_a_message_inside_quiet_hours_is_held_then_released_once(channel, at_server):
    phone = "+254711000001"
    held_before, released_before = counted("held"), counted("released")
    profiles.set_quiet_hours(phone, window_around_now())
    event = stock_low(phone, "12.5")
    channel.deliver(event)
    row = SMSLog.objects.get(event_id=event.id)
    held = HeldMessage.objects.get(event_id=event.id)
    assert row.status == DeliveryStatus.HELD
    assert row.error_message.startswith("held: quiet hours ") and "Africa/Nairobi; goes at" in row.error_message
    assert held.recipient == phone and held.template == "sms_inventory_low_stock" and held.released_at is None
    assert timezone.now() < held.release_at <= timezone.now() + timedelta(hours=1, minutes=1)
    assert at_server.to(phone) == []
    channel.deliver(event)  # the record read again (a rebalance): its row is HELD, not sent, not held twice
    assert at_server.to(phone) == [] and HeldMessage.objects.filter(event_id=event.id).count() == 1

    assert holds.release_due(channel) == 0  # not due yet
    assert holds.release_due(channel, now=held.release_at - timedelta(seconds=1)) == 0
    assert holds.release_due(channel, now=held.release_at) == 0  # due, but still inside her window: held again
    assert SMSLog.objects.get(event_id=event.id).status == DeliveryStatus.HELD and at_server.to(phone) == []
    profiles.set_quiet_hours(phone, "off")  # her window ends now: her held messages are due at once
    assert holds.release_due(channel) == 1
    row.refresh_from_db()
    held.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and held.released_at is not None
    assert row.error_message == "held for quiet hours, released when they ended"
    assert (counted("held") - held_before, counted("released") - released_before) == (2, 1)  # held twice (re-held once)
    assert len(texts(at_server, phone)) == 1 and "12.5" in texts(at_server, phone)[0]
    assert holds.release_due(channel, now=held.release_at + timedelta(hours=1)) == 0
    assert len(at_server.to(phone)) == 1


def test_a_keys_held_messages_go_in_the_order_they_were_held(channel, at_server):
    phone = "+254711000002"
    profiles.set_quiet_hours(phone, window_around_now())
    first, second = stock_low(phone, "30"), stock_low(phone, "20")
    channel.deliver(first)
    channel.deliver(second)
    assert SMSLog.objects.filter(phone_number=phone, status=DeliveryStatus.HELD).count() == 2
    profiles.set_quiet_hours(phone, "off")
    assert holds.release_due(channel, now=timezone.now() + timedelta(hours=2)) == 2
    sent = texts(at_server, phone)
    assert len(sent) == 2 and "30" in sent[0] and "20" in sent[1]


def test_a_released_message_passes_the_policy_again(channel, at_server):
    phone = "+254711000003"
    profiles.set_quiet_hours(phone, window_around_now())
    event = stock_low(phone, "5")
    channel.deliver(event)
    preferences.set(phone, "operational", "sms", False, wording="No stock alerts by SMS")
    profiles.set_quiet_hours(phone, "off")
    assert holds.release_due(channel, now=timezone.now() + timedelta(hours=2)) == 1
    row = SMSLog.objects.get(event_id=event.id)
    assert row.status == DeliveryStatus.SUPPRESSED and "opted out of operational" in row.error_message
    assert row.error_message.startswith("held for quiet hours, released when they ended; not sent: ")
    assert at_server.to(phone) == []


def test_a_window_moved_later_holds_it_again(channel, at_server):
    phone = "+254711000004"
    profiles.set_quiet_hours(phone, window_around_now())
    event = stock_low(phone, "5")
    channel.deliver(event)
    first_release = HeldMessage.objects.get(event_id=event.id).release_at
    # still inside her window when released early (an operator's clock, say): held again, nothing sent
    assert holds.release_due(channel, now=timezone.now() + timedelta(hours=3)) == 0
    again = HeldMessage.objects.get(event_id=event.id)
    assert again.released_at is None and again.release_at == first_release and again.release_attempts == 0
    assert SMSLog.objects.get(event_id=event.id).status == DeliveryStatus.HELD
    assert at_server.to(phone) == []


def test_a_row_one_releaser_took_is_not_taken_by_another(channel, at_server):
    phone = "+254711000005"
    profiles.set_quiet_hours(phone, window_around_now())
    event = stock_low(phone, "5")
    channel.deliver(event)
    profiles.set_quiet_hours(phone, "off")
    later = timezone.now() + timedelta(hours=2)
    (taken,) = holds._take(channel, later, 10)  # a releaser took it (and died before sending, say)
    assert SMSLog.objects.get(event_id=event.id).status == DeliveryStatus.PENDING
    assert holds.release_due(channel, now=later) == 0  # another releaser leaves it for its lease
    assert at_server.to(phone) == []
    assert holds.release_due(channel, now=later + timedelta(seconds=holds.RELEASE_LEASE)) == 1
    assert len(at_server.to(phone)) == 1


def test_critical_and_transactional_messages_are_never_held(channel, at_server):
    phone = "+254711000006"
    profiles.set_quiet_hours(phone, window_around_now())
    otp = get_event_type("auth.otp_requested").parse({**sample("auth.otp_requested"), "phone": phone})
    receipt = get_event_type("sales.payment_received").parse({**sample("sales.payment_received"), "phone": phone})
    for event_type, data in (("auth.otp_requested", otp), ("sales.payment_received", receipt)):
        channel.deliver(InboundEvent(id=uuid.uuid4(), type=event_type, key=data.partition_key(), data=data,
                                     emitted_at=datetime.now(UTC)))
    assert len(at_server.to(phone)) == 2 and not HeldMessage.objects.filter(recipient=phone).exists()


def test_the_release_command_releases_every_channel(channel, at_server, settings):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("release_held", "sms", stdout=out)
    assert out.getvalue().strip() == "sms: 0 held messages released"
    with pytest.raises(Exception, match="not a channel with a delivery log"):
        call_command("release_held", "pigeon")


def test_eager_delivery_holds_as_the_consumers_do_and_release_held_sends_it(settings, mailoutbox):
    """A host's tests (COMMS_EAGER_DELIVERY): held the same way; nothing releases by itself in-process, so
    `manage.py release_held` (or holds.release_due) sends what is due."""
    from django.core.management import call_command

    from consumers.email.models import EmailLog
    from outbox import emit

    settings.COMMS_EAGER_DELIVERY = ["email"]
    settings.COMMS_QUIET_HOURS_CHANNELS = ["email"]
    address = "stores@example.com"
    profiles.set_quiet_hours(address, window_around_now())
    event_id = emit("inventory.stock_low", {**sample("inventory.stock_low"), "recipients": [address], "phones": [],
                                            "recipient_user_ids": []})
    assert EmailLog.objects.get(event_id=event_id).status == DeliveryStatus.HELD and mailoutbox == []
    profiles.set_quiet_hours(address, "off")
    call_command("release_held", "email", stdout=io.StringIO())
    assert EmailLog.objects.get(event_id=event_id).status == DeliveryStatus.SENT
    assert [message.to for message in mailoutbox] == [[address]]


class Said:
    """A replay's operator: what it was told."""

    def __init__(self):
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)

    def started(self, *args) -> None: ...
    def fetched(self, *args) -> None: ...
    def finished(self, *args) -> None: ...


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_replay_meets_quiet_hours_as_delivery_does(channel, at_server, dry_run):
    from consumers.batch import local_lease
    from consumers.replay import Replay, ReplayRequest

    phone = f"+25471100001{int(dry_run)}"
    profiles.set_quiet_hours(phone, window_around_now())
    event = stock_low(phone, "7")
    said = Said()
    replay = Replay(ReplayRequest("sms", since=timezone.now() - timedelta(hours=1), dry_run=dry_run), said)
    replay.channel, replay.lease = channel, local_lease()  # the channel pointed at the local provider server
    replay.handle(event.record)
    assert at_server.to(phone) == []
    if dry_run:
        assert said.lines == [f"would end HELD {event.id} inventory.stock_low sms_inventory_low_stock to +254••••••011"]
        assert not SMSLog.objects.filter(event_id=event.id).exists()
    else:
        assert SMSLog.objects.get(event_id=event.id).status == DeliveryStatus.HELD
        assert HeldMessage.objects.filter(event_id=event.id).count() == 1
        assert (replay.summary.skipped, replay.summary.held, replay.summary.failed) == (1, 1, 0)
        assert replay.summary.line().endswith(", held for quiet hours 1 (counted as skipped)")


@pytest.mark.django_db(transaction=True)
def test_a_row_another_releaser_has_locked_is_skipped_not_waited_for(channel, at_server):
    import threading

    from django.db import connection, transaction

    phone = "+254711000021"
    profiles.set_quiet_hours(phone, window_around_now())
    event = stock_low(phone, "5")
    channel.deliver(event)
    profiles.set_quiet_hours(phone, "off")  # due now
    locked, done = threading.Event(), threading.Event()

    def other_releaser():  # holds the row's lock, as a second consumer process in its _take would
        try:
            with transaction.atomic():
                HeldMessage.objects.select_for_update().get(event_id=event.id)
                locked.set()
                done.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_releaser)
    thread.start()
    assert locked.wait(10)
    try:
        assert holds.release_due(channel) == 0  # skipped at once (SKIP LOCKED), not waited for
        assert at_server.to(phone) == []
    finally:
        done.set()
        thread.join(10)
    assert holds.release_due(channel) == 1 and len(at_server.to(phone)) == 1
