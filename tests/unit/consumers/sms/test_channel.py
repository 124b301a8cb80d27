"""The SMS channel's per-message sequence (log row, expiry, render, send) against the local
Africa's Talking server and the database, without Kafka."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chesanto_comms.embedded.sms import Outcome
from consumers.events import InboundEvent
from consumers.outcomes import Verdict
from consumers.sms.channel import SMSChannel
from consumers.sms.models import SMSLog
from consumers.sms.providers.africastalking import AfricasTalkingProvider
from outbox import InvalidEventData
from outbox.events import get_event_type
from outbox.events.samples import sample
from tests.unit.consumers.sms.conftest import provider_for

pytestmark = pytest.mark.django_db


def event(event_type: str, emitted: datetime | None = None, **changes) -> InboundEvent:
    data = get_event_type(event_type).parse({**sample(event_type), **changes})
    emitted = emitted or datetime.now(timezone.utc)
    return InboundEvent(id=uuid.uuid4(), type=event_type, key=data.partition_key(), data=data,
                        headers={"ce_time": emitted.isoformat().replace("+00:00", "Z")}, emitted_at=emitted)


@pytest.fixture
def channel(at_server):
    channel = SMSChannel(provider=provider_for(at_server, AfricasTalkingProvider))
    yield channel
    channel.close()


def test_channel_reads_the_sms_domains(channel):
    assert channel.domains() == ["auth", "dispatch", "inventory", "sales"]
    assert channel.handles("auth.otp_requested") and not channel.handles("auth.user_invited")


def test_otp_is_sent_and_logged_with_the_code_masked(channel, at_server):
    otp = event("auth.otp_requested", phone="+254711000222")
    assert channel.deliver(otp).verdict is Verdict.DONE
    log = SMSLog.objects.get(event_id=otp.id)
    assert (log.status, log.template, log.phone_number, log.provider) == ("SENT", "sms_auth_otp", "+254711000222", "africastalking")
    assert log.provider_message_id.startswith("ATXid_") and log.cost == Decimal("0.80")
    assert (log.encoding, log.segments, log.retry_count) == ("GSM-7", 1, 0)
    assert log.message == "Chesanto: ****** is your login code. It expires in 10 min. Never share it."
    assert at_server.to("+254711000222")[0].form["message"] == log.message.replace("******", "482913")


def test_each_phone_of_a_low_stock_alert_gets_its_own_sms_and_row(channel, at_server):
    alert = event("inventory.stock_low", phones=["+254733445566", "+254700000403"])
    channel.deliver(alert)
    rows = dict(SMSLog.objects.filter(event_id=alert.id).values_list("phone_number", "status"))
    assert rows == {"+254733445566": "SENT", "+254700000403": "REJECTED"}
    assert "InvalidPhoneNumber" in SMSLog.objects.get(event_id=alert.id, phone_number="+254700000403").error_message


def test_redelivery_sends_nothing_more(channel, at_server):
    delivery = event("dispatch.delivery_assigned")
    channel.deliver(delivery)
    channel.deliver(delivery)
    assert len(at_server.requests) == 1 and SMSLog.objects.filter(event_id=delivery.id).count() == 1


def test_a_number_that_is_not_valid_is_rejected_before_any_http_call(channel, at_server):
    with pytest.raises(InvalidEventData, match="phone"):  # emit() refuses it ...
        event("dispatch.delivery_assigned", phone="+2541234")
    # ... and a record that carries one anyway (written by another producer) is rejected at send.
    valid = event("dispatch.delivery_assigned")
    bad_data = valid.data.model_copy(update={"phone": "+2541234"})
    short = InboundEvent(id=valid.id, type=valid.type, key=valid.key, data=bad_data, headers=valid.headers)
    channel.deliver(short)
    log = SMSLog.objects.get(event_id=short.id)
    assert log.status == "REJECTED" and "'+2541234' is not a valid phone number in KE" in log.error_message
    assert at_server.requests == []


def test_transient_failure_stays_pending_for_a_retry_then_gives_up(channel, at_server):
    receipt = event("sales.payment_received", phone="+254700000405")  # InsufficientBalance
    assert channel.deliver(receipt, final_attempt=False).verdict is Verdict.RETRY
    log = SMSLog.objects.get(event_id=receipt.id)
    assert (log.status, log.retry_count) == ("PENDING", 1) and "InsufficientBalance" in log.error_message
    at_server.script("+254700000405", Outcome(http_status=503))
    assert channel.deliver(receipt, final_attempt=True).verdict is Verdict.DONE
    log.refresh_from_db()
    assert (log.status, log.retry_count) == ("FAILED", 2) and log.error_message.startswith("gave up after 2 attempts")


def test_expired_otp_is_not_sent(channel, at_server):
    stale = event("auth.otp_requested", emitted=datetime.now(timezone.utc) - timedelta(minutes=11))
    channel.deliver(stale)
    assert SMSLog.objects.get(event_id=stale.id).status == "EXPIRED" and at_server.requests == []


def test_over_long_sms_is_a_render_failure(channel, at_server, settings):
    settings.SMS_MAX_SEGMENTS = 1
    alert = event("auth.security_alert", alert="Many failed sign-in attempts from an unknown device in another country")
    delivery = channel.deliver(alert)
    assert delivery.verdict is Verdict.DEAD_LETTER and "SMS_MAX_SEGMENTS=1" in str(delivery.error)
    log = SMSLog.objects.get(event_id=alert.id)
    assert log.status == "RENDER_FAILED" and log.error_message.startswith("MessageTooLong")
    assert at_server.requests == []


def test_no_phone_no_sms(channel):
    otp = event("auth.otp_requested", phone=None)
    assert channel.deliver(otp).verdict is Verdict.DONE and not SMSLog.objects.filter(event_id=otp.id).exists()


def test_channel_builds_without_credentials_and_a_missing_setting_is_a_transient_failure(settings):
    settings.SMS_PROVIDER, settings.SMS_API_KEY, settings.SMS_USERNAME = "africastalking", "", ""
    channel = SMSChannel()  # routing and the template catalogue build channels without sending
    otp = event("auth.otp_requested")
    assert channel.deliver(otp, final_attempt=False).verdict is Verdict.RETRY
    log = SMSLog.objects.get(event_id=otp.id)
    assert (log.status, log.provider) == ("PENDING", "africastalking")
    assert "SMS provider not configured: SMS_API_KEY is empty" in log.error_message


def test_a_number_the_provider_calls_invalid_is_suppressed_and_the_next_sms_to_it_is_not_sent(channel, at_server):
    from consumers.models import Suppression

    channel.deliver(event("inventory.stock_low", phones=["+254700000403"]))
    row = Suppression.objects.get(channel="sms", address="+254700000403", lifted_at__isnull=True)
    assert row.reason == Suppression.Reason.INVALID and "InvalidPhoneNumber" in row.detail
    calls = len(at_server.to("+254700000403"))
    again = event("inventory.stock_low", phones=["+254700000403"])
    channel.deliver(again)
    log = SMSLog.objects.get(event_id=again.id)
    assert log.status == "SUPPRESSED" and "The provider says it will never work" in log.error_message
    assert len(at_server.to("+254700000403")) == calls  # not sent again
