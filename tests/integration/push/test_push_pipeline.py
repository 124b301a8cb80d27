"""Push notifications end to end: outbox -> relay -> Kafka -> `consume push` -> FCM HTTP v1 (a local
server issuing real OAuth2 tokens) -> the device; dead tokens, Retry-After, one token exchange."""
from __future__ import annotations

import time
import uuid

import pytest

from chesanto_comms.embedded.fcm import FcmOutcome
from consumers.push.models import PushDevice, PushLog
from consumers.push.tokens import masked
from outbox import emit
from outbox.events.samples import sample
from tests.integration.push.conftest import registered_device
from tests.support.events import by_address
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ADDRESSED = {  # each notification's event, addressed to a user
    "auth.security_alert": ("email", "Security alert: New sign-in from an unknown device"),
    "inventory.stock_low": ("recipients", "Low stock: Wheat flour (baking)"),
    "dispatch.delivery_assigned": ("driver_email", "New delivery: ORD-2026-00417"),
    "auth.daily_entry_reminder": ("email", "Daily sales entry due"),
}


def final_log(event_id, recipient: str | None = None, timeout: float = 40.0) -> PushLog:
    rows = PushLog.objects.filter(event_id=event_id, status__in=PushLog.FINAL)
    if recipient:
        rows = rows.filter(recipient=recipient)
    return wait_until(rows.first, timeout=timeout, what=f"a final PushLog for event {event_id}")


def addressed_to(event_type: str, email: str) -> dict:
    """The event naming its user by address only (consumers/recipients.py looks it up)."""
    field, _ = ADDRESSED[event_type]
    return by_address(event_type, **{field: [email] if field == "recipients" else email})


@pytest.mark.parametrize("event_type", sorted(ADDRESSED))
def test_each_notification_reaches_the_registered_device_and_is_logged_sent(push_pipeline, event_type):
    user, token = registered_device("staff", platform="ios")
    event_id = emit(event_type, addressed_to(event_type, user.email))

    log = final_log(event_id)
    (request,) = push_pipeline.server.to(token)
    message = request.form["message"]
    assert (log.status, log.recipient, log.user_id, log.platform) == ("SENT", token, user.pk, "ios")
    assert log.title == ADDRESSED[event_type][1] == message["notification"]["title"]
    assert message["notification"]["body"] == log.body and log.body
    assert message["data"]["event_id"] == str(event_id) and message["data"]["event_type"] == event_type
    assert request.headers["authorization"].startswith("Bearer ya29.local-")
    assert f'"{log.provider_message_id}"' in request.answer and log.delivered_at is not None


def test_a_token_answered_unregistered_is_deleted_and_logged_and_the_rest_is_sent(push_pipeline):
    user, dead = registered_device("stores", token=f"unregistered-{uuid.uuid4().hex}")
    PushDevice.objects.create(user=user, token=(alive := f"alive-{uuid.uuid4().hex}"), platform="android")
    event_id = emit("inventory.stock_low", addressed_to("inventory.stock_low", user.email))

    dead_log, alive_log = final_log(event_id, dead), final_log(event_id, alive)
    assert (dead_log.status, dead_log.retry_count, dead_log.user_id) == ("UNREGISTERED", 1, user.pk)
    assert "404 UNREGISTERED" in dead_log.error_message and alive_log.status == "SENT"
    assert list(PushDevice.objects.filter(user=user).values_list("token", flat=True)) == [alive]
    assert "device deleted" in wait_until(lambda: "device deleted" in push_pipeline.consumer.log()
                                          and push_pipeline.consumer.log(), what="the consumer's warning")
    assert push_pipeline.consumer.running


def test_a_429_is_retried_after_its_retry_after_then_sent(push_pipeline):
    user, token = registered_device("driver")
    server = push_pipeline.server
    server.script(token, FcmOutcome("QUOTA_EXCEEDED", retry_after=3, times=1))
    event_id = emit("dispatch.delivery_assigned", addressed_to("dispatch.delivery_assigned", user.email))

    server.wait_for(lambda requests: len(server.to(token)) == 1, timeout=40)
    refused_at = time.monotonic()
    server.wait_for(lambda requests: len(server.to(token)) == 2, timeout=40)
    waited = time.monotonic() - refused_at
    log = final_log(event_id)
    assert [r.status for r in server.to(token)] == [429, 200] and (log.status, log.retry_count) == ("SENT", 1)
    assert waited >= 2.5, f"retried after {waited:.1f}s: FCM's Retry-After (3 s) was not honoured"
    assert f"event {event_id}: retry 1/3 in 3s" in push_pipeline.consumer.log()  # not the schedule's 1 s


def test_a_user_without_a_device_is_skipped_with_the_reason(push_pipeline):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user(f"n-{uuid.uuid4().hex[:8]}", email=f"n-{uuid.uuid4().hex[:8]}@x.example")
    event_id = emit("auth.security_alert", addressed_to("auth.security_alert", nobody.email))
    log = final_log(event_id)
    assert (log.status, log.recipient) == ("SKIPPED", f"user {nobody.pk} (no device)")
    assert log.error_message == f"not sent: user {nobody.pk} has no registered push device"


def test_an_address_another_user_copied_is_skipped_and_the_id_reaches_its_owner(push_pipeline):
    """The security review's case: a user set her address to BOB@…; a push for bob@… must not reach her phone."""
    from django.contrib.auth import get_user_model

    bob, bob_phone = registered_device("bob")
    alice, alice_phone = registered_device("alice")
    get_user_model().objects.filter(pk=alice.pk).update(email=bob.email.upper())
    guessed = emit("auth.security_alert", by_address("auth.security_alert", email=bob.email))
    named = emit("auth.security_alert", {**sample("auth.security_alert"), "email": bob.email, "user_id": bob.pk})
    skipped, sent = final_log(guessed), final_log(named)
    assert (skipped.status, skipped.recipient, skipped.user_id) == ("SKIPPED", f"{bob.email} (several users)", None)
    assert f"several active users have the address {bob.email}" in skipped.error_message
    assert (sent.status, sent.recipient, sent.user_id) == ("SENT", bob_phone, bob.pk)
    assert len(push_pipeline.server.to(bob_phone)) == 1 and push_pipeline.server.to(alice_phone) == []


def test_one_access_token_serves_every_sender(push_pipeline):
    devices = [registered_device(f"bulk{n}") for n in range(8)]
    event_ids = [emit("auth.daily_entry_reminder", addressed_to("auth.daily_entry_reminder", u.email))
                 for u, _ in devices]
    for event_id in event_ids:
        assert final_log(event_id).status == "SENT"
    # Since the consumer started: its four senders and every push of this module took one token.
    assert len(push_pipeline.server.token_requests) == 1
    assert len({r.headers["authorization"] for r in push_pipeline.server.send_requests}) == 1


def test_the_events_timeline_shows_each_push(push_pipeline):
    from outbox.models import OutboxEvent
    from outbox.timeline import timeline

    user, token = registered_device("manager")
    event_id = emit("auth.security_alert", addressed_to("auth.security_alert", user.email))
    log = final_log(event_id)
    shown = timeline(OutboxEvent.objects.get(id=event_id), visible=lambda model: True)
    (entry,) = [e for e in shown.entries if e.what.startswith("push")]
    assert entry.what == "push SENT" and entry.detail == f"push_auth_security_alert to {token}"
    assert entry.url == f"/admin/comms_push/pushlog/{log.pk}/change/"


def test_replay_sends_again_only_the_push_whose_row_was_lost(push_pipeline, settings):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    for name in ("OUTBOX_TOPIC_PREFIX", "CONSUMER_GROUP_PREFIX", "PUSH_SERVICE_ACCOUNT", "PUSH_API_URL"):
        setattr(settings, name, push_pipeline.env[name])  # the replay runs in this process
    since = timezone.now()
    (lost_user, lost_token), (kept_user, kept_token) = registered_device("lost"), registered_device("kept")
    lost = emit("auth.daily_entry_reminder", addressed_to("auth.daily_entry_reminder", lost_user.email))
    kept = emit("auth.daily_entry_reminder", addressed_to("auth.daily_entry_reminder", kept_user.email))
    final_log(lost), final_log(kept)
    time.sleep(1.2)  # the records' timestamps fall well inside the window
    until = timezone.now()
    PushLog.objects.filter(event_id=lost).delete()

    out = StringIO()
    call_command("replay", "--channel", "push", "--since", since.isoformat(), "--until", until.isoformat(), stdout=out)

    assert out.getvalue().splitlines()[-1] == "read 2, skipped 1, sent 1, failed 0, poison 0"
    assert f"sent {lost} auth.daily_entry_reminder push_auth_daily_reminder to {masked(lost_token)}" in out.getvalue()
    assert lost_token not in out.getvalue()  # the report, like the logs, shows a token masked
    assert len(push_pipeline.server.to(lost_token)) == 2 and len(push_pipeline.server.to(kept_token)) == 1
    assert PushLog.objects.get(event_id=lost).status == "SENT"
