"""The push channel's per-message sequence (recipients, log row, render, send, dead tokens) against
the local FCM server and the database, without Kafka."""
from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured

from chesanto_comms.embedded.fcm import FcmOutcome
from consumers.channels import get_channel
from consumers.outcomes import Verdict
from consumers.providers import PermanentError
from consumers.push.channel import PushChannel
from consumers.push.models import PushDevice, PushLog
from outbox.events import get_event_type
from outbox.events.samples import sample
from tests.unit.consumers.push.conftest import device, event, user

pytestmark = pytest.mark.django_db


def rows(event_id) -> dict[str, tuple[str, str]]:
    return {r.recipient: (r.status, r.error_message) for r in PushLog.objects.filter(event_id=event_id)}


def test_the_channel_is_registered_and_reads_its_domains():
    channel = get_channel("push")
    assert isinstance(channel, PushChannel) and channel.domains() == ["auth", "dispatch", "inventory"]
    assert channel.handles("auth.security_alert") and not channel.handles("auth.otp_requested")


def test_each_device_of_the_user_gets_the_push_and_its_own_row(channel, fcm_server):
    wanjiku = user("wanjiku.kamau@chesanto.co.ke")
    device(wanjiku, "wanjiku-android")
    device(wanjiku, "wanjiku-iphone", "ios")
    alert = event("auth.security_alert", email="Wanjiku.Kamau@chesanto.co.ke")
    assert channel.deliver(alert).verdict is Verdict.DONE
    logs = {r.recipient: r for r in PushLog.objects.filter(event_id=alert.id)}
    assert set(logs) == {"wanjiku-android", "wanjiku-iphone"}
    for token, log in logs.items():
        assert (log.status, log.user, log.template, log.provider) == ("SENT", wanjiku, "push_auth_security_alert", "fcm")
        assert log.title == "Security alert: New sign-in from an unknown device" and "Not you?" in log.body
        assert log.provider_message_id.startswith("projects/chesanto-bakery-test/messages/")
        (request,) = fcm_server.to(token)
        assert request.form["message"]["notification"] == {"title": log.title, "body": log.body}
        assert request.form["message"]["data"]["event_id"] == str(alert.id)
    assert (logs["wanjiku-android"].platform, logs["wanjiku-iphone"].platform) == ("android", "ios")


def test_a_token_fcm_calls_unregistered_is_deleted_and_logged(channel, fcm_server):
    grace = user("grace@example.com")
    device(grace, "unregistered-old-phone")
    device(grace, "grace-new-phone")
    low = event("inventory.stock_low", recipients=["grace@example.com"])
    assert channel.deliver(low).verdict is Verdict.DONE
    assert rows(low.id)["grace-new-phone"][0] == "SENT"
    status, error = rows(low.id)["unregistered-old-phone"]
    assert status == "UNREGISTERED" and "404 UNREGISTERED" in error
    assert list(PushDevice.objects.filter(user=grace).values_list("token", flat=True)) == ["grace-new-phone"]
    assert channel.deliver(low).verdict is Verdict.DONE and len(fcm_server.to("unregistered-old-phone")) == 1


def test_an_invalid_token_is_deleted_with_its_own_status(channel):
    device(user("a@example.com"), "invalid-token-1", "web")
    low = event("inventory.stock_low", recipients=["a@example.com"])
    channel.deliver(low)
    assert rows(low.id)["invalid-token-1"][0] == "INVALID_TOKEN"
    assert not PushDevice.objects.filter(token="invalid-token-1").exists()


def test_nobody_to_send_to_is_skipped_and_says_why(channel, fcm_server):
    kiprono = user("kiprono@example.com")
    low = event("inventory.stock_low", recipients=["kiprono@example.com", "stores@example.com"])
    assert channel.deliver(low).verdict is Verdict.DONE
    assert rows(low.id) == {
        f"user {kiprono.pk} (no device)": ("SKIPPED", f"not sent: user {kiprono.pk} has no registered push device"),
        "stores@example.com (no user)": ("SKIPPED", "not sent: no active user has the address stores@example.com"),
    }
    assert PushLog.objects.get(event_id=low.id, recipient__startswith="user").user == kiprono
    assert fcm_server.send_requests == []


def test_an_address_two_users_have_is_skipped_and_the_id_reaches_its_user(channel, fcm_server):
    bob = user("bob@example.com")
    device(bob, "bob-phone")
    device(user("BOB@example.com"), "alice-phone")  # she set her address to his
    alert = event("auth.security_alert", email="bob@example.com")
    assert channel.deliver(alert).verdict is Verdict.DONE
    assert rows(alert.id) == {"bob@example.com (several users)": (
        "SKIPPED", "not sent: several active users have the address bob@example.com, so it names none of them (an "
        "address names a user only when exactly one active user has it: give the user's id in the event)")}
    assert fcm_server.send_requests == []

    named = event("auth.security_alert", email="bob@example.com", user_id=bob.pk)
    channel.deliver(named)
    assert rows(named.id) == {"bob-phone": ("SENT", "")}
    assert len(fcm_server.to("bob-phone")) == 1 and fcm_server.to("alice-phone") == []


def test_an_id_no_active_user_has_is_skipped_without_a_user(channel, fcm_server):
    gone = user("gone-driver@example.com", is_active=False)
    device(gone, "gone-driver-phone")
    assigned = event("dispatch.delivery_assigned", driver_user_id=gone.pk)
    channel.deliver(assigned)
    assert rows(assigned.id) == {
        f"user {gone.pk} (no user)": ("SKIPPED", f"not sent: no active user has the id {gone.pk}")}
    assert PushLog.objects.get(event_id=assigned.id).user is None and fcm_server.send_requests == []


def test_an_inactive_user_gets_no_push(channel, fcm_server):
    device(user("gone@example.com", is_active=False), "gone-phone")
    low = event("inventory.stock_low", recipients=["gone@example.com"])
    channel.deliver(low)
    assert rows(low.id) == {"gone@example.com (no user)": ("SKIPPED", "not sent: no active user has the address "
                                                                       "gone@example.com")}


def test_a_busy_fcm_retries_the_record_after_its_retry_after(channel, fcm_server):
    device(user("baraka@example.com"), "driver-phone")
    fcm_server.script("driver-phone", FcmOutcome("QUOTA_EXCEEDED", retry_after=30, times=1))
    assigned = event("dispatch.delivery_assigned", driver_email="baraka@example.com")
    first = channel.deliver(assigned, final_attempt=False)
    assert (first.verdict, first.retry_after) == (Verdict.RETRY, 30.0)
    assert rows(assigned.id)["driver-phone"][0] == "PENDING"
    assert channel.deliver(assigned, final_attempt=False).verdict is Verdict.DONE
    log = PushLog.objects.get(event_id=assigned.id)
    assert (log.status, log.retry_count) == ("SENT", 1)


def test_a_device_unregistered_between_recipients_and_send_is_skipped(channel, fcm_server):
    """The app signed out after the event's recipients were read: nothing goes to that phone."""
    entry = PushLog.objects.create(event_id=uuid.uuid4(), template="push_inventory_low_stock", recipient="phone-1")
    with pytest.raises(PermanentError, match="unregistered before sending") as caught:
        channel.send(None, "phone-1", entry)
    assert caught.value.status == "SKIPPED" and fcm_server.send_requests == []


def test_an_event_without_the_driver_sends_nothing():
    assert PushChannel().planned(event("dispatch.delivery_assigned", driver_email=None)) == []


def test_consume_push_refuses_to_start_without_credentials(settings, tmp_path):
    settings.PUSH_SERVICE_ACCOUNT = ""
    with pytest.raises(ImproperlyConfigured, match="PUSH_SERVICE_ACCOUNT is empty"):
        PushChannel().check()
    settings.PUSH_SERVICE_ACCOUNT = str(tmp_path / "missing.json")
    with pytest.raises(ImproperlyConfigured, match="missing.json cannot be read"):
        PushChannel().check()


def test_the_project_comes_from_the_key_or_the_setting(settings, fcm_server):
    import json

    settings.PUSH_SERVICE_ACCOUNT = json.dumps(fcm_server.service_account_info())
    settings.PUSH_API_URL = fcm_server.url
    assert PushChannel().client.url == f"{fcm_server.url}/v1/projects/chesanto-bakery-test/messages:send"
    settings.PUSH_PROJECT_ID = "Not/A/Project"
    with pytest.raises(ImproperlyConfigured, match="is not a Firebase project id"):
        PushChannel().check()
    settings.PUSH_SERVICE_ACCOUNT = json.dumps({**fcm_server.service_account_info(), "project_id": ""})
    settings.PUSH_PROJECT_ID = ""
    with pytest.raises(ImproperlyConfigured, match="PUSH_PROJECT_ID is empty"):
        PushChannel().check()


def test_the_preview_shows_title_body_and_data():
    (alert,) = PushChannel.notifications["auth.security_alert"]
    shown = PushChannel().preview(alert, get_event_type("auth.security_alert").parse(sample("auth.security_alert")))
    assert shown.subject.startswith("Security alert:") and "Not you?" in shown.text
    assert ("priority", "high") in shown.facts
