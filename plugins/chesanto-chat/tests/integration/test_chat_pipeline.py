"""The chat channel end to end, installed as a host installs it: outbox -> relay -> Kafka -> `manage.py
consume chat` (real processes, the host settings with "chesanto_chat" added) -> local servers that
answer as Slack, Teams, Google Chat and a signed-webhook receiver do; on the session's real broker
and PostgreSQL."""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from chesanto_chat.models import ChatLog
from chesanto_chat.testing import GoogleChatServer, Refusal, SignedWebhookServer, SlackServer, TeamsServer
from outbox import emit
from outbox.events.samples import sample
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HOST_SETTINGS = Path(__file__).resolve().parents[1]  # tests/, where chat_host_settings.py is
SECRET = f"pos-secret-{uuid.uuid4().hex}"
ROOMS = ("stores", "kitchen", "admins", "pos")


@dataclass
class ChatPipeline:
    servers: dict[str, object]  # room -> the server its webhook URL points at
    relay: ManagedProcess
    consumer: ManagedProcess

    def messages(self, room: str, event_id) -> list:
        return [m for m in self.servers[room].messages(room) if str(event_id) in m.body.decode()]

    def posts(self, room: str, event_id) -> list:
        return [m for m in self.servers[room].to(room) if str(event_id) in m.body.decode()]


@pytest.fixture(scope="module")
def chat_pipeline(comms_env, django_db_blocker):
    slack, teams, google, hook = SlackServer(), TeamsServer(), GoogleChatServer(), SignedWebhookServer({"pos": SECRET})
    servers = {"stores": slack, "kitchen": teams, "admins": google, "pos": hook}
    with slack, teams, google, hook:
        rooms = {"stores": {"service": "slack", "url": slack.url_for("stores")},
                 "kitchen": {"service": "teams", "url": teams.url_for("kitchen")},
                 "admins": {"service": "google_chat", "url": google.url_for("admins")},
                 "pos": {"service": "webhook", "url": hook.url_for("pos"), "secret": SECRET}}
        run = f"chat-{uuid.uuid4().hex[:6]}"
        env = {
            **comms_env,
            "DJANGO_SETTINGS_MODULE": "chat_host_settings",
            "PYTHONPATH": os.pathsep.join([str(HOST_SETTINGS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
            "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-",
            "CHAT_ROOMS": json.dumps(rooms),
            "CHAT_ROUTES": json.dumps({"inventory.stock_low": list(ROOMS), "auth.security_alert": ["admins"],
                                       "production.schedule_published": ["kitchen"]}),
            "CHAT_TIMEOUT": "5",
            "CHAT_RETRY_DELAY": "1",  # the schedule's first retry after 1 s: shorter than the Retry-After tested
        }
        relay = ManagedProcess("relay", env=env)
        consumer = ManagedProcess("consume", "chat", env=env)
        pipeline = ChatPipeline(servers, relay, consumer)
        try:
            with django_db_blocker.unblock():
                try:  # the consumer has joined its group and a first message went all the way through
                    event_id = emit("inventory.stock_low", sample("inventory.stock_low"))
                    wait_until(lambda: all(pipeline.messages(room, event_id) for room in ROOMS), timeout=90,
                               what="the warm-up message in every room")
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n--- relay ---\n{relay.log()}\n--- consume chat ---\n"
                                         f"{consumer.log()}") from None
            yield pipeline
        finally:
            codes = {"relay": relay.stop(), "consumer": consumer.stop()}
            assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{relay.log()}\n{consumer.log()}"


def final_rows(event_id, count: int, timeout: float = 40.0) -> dict[str, ChatLog]:
    def rows():
        found = {row.room: row for row in ChatLog.objects.filter(event_id=event_id, status__in=ChatLog.FINAL)}
        return found if len(found) == count else None
    return wait_until(rows, timeout=timeout, what=f"{count} final chat rows of event {event_id}")


def test_low_stock_reaches_each_room_once_and_each_row_is_sent(chat_pipeline):
    event_id = emit("inventory.stock_low", {**sample("inventory.stock_low"), "product_name": "Rye flour"})

    rows = final_rows(event_id, len(ROOMS))
    assert {room: (row.status, row.service, row.title) for room, row in rows.items()} == {
        "stores": ("SENT", "slack", "Low stock: Rye flour"), "kitchen": ("SENT", "teams", "Low stock: Rye flour"),
        "admins": ("SENT", "google_chat", "Low stock: Rye flour"), "pos": ("SENT", "webhook", "Low stock: Rye flour")}
    time.sleep(1)  # nothing more arrives
    assert {room: len(chat_pipeline.messages(room, event_id)) for room in ROOMS} == dict.fromkeys(ROOMS, 1)
    (slack,) = chat_pipeline.messages("stores", event_id)
    assert slack.json["blocks"][0]["text"]["text"] == "Low stock: Rye flour"
    (google,) = chat_pipeline.messages("admins", event_id)
    assert rows["admins"].provider_message_id.startswith("spaces/admins/messages/")
    (signed,) = chat_pipeline.messages("pos", event_id)  # the receiver verified its signature, or it would be 401
    assert signed.json["id"] == str(event_id) and signed.json["type"] == "inventory.stock_low"
    assert signed.headers["x-chesanto-event-id"] == str(event_id)


def test_a_429_is_retried_after_its_retry_after_and_arrives_once(chat_pipeline):
    chat_pipeline.servers["stores"].script("stores", Refusal(429, retry_after=3))
    event_id = emit("inventory.stock_low", sample("inventory.stock_low"))

    rows = final_rows(event_id, len(ROOMS))
    posts = chat_pipeline.posts("stores", event_id)
    assert [p.status for p in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 2.5, "retried before Slack's Retry-After (3 s)"
    assert (rows["stores"].status, rows["stores"].retry_count) == ("SENT", 1)
    assert f"event {event_id}: retry 1/3 in 3s" in chat_pipeline.consumer.log()  # not the schedule's 1 s
    # The other rooms had it at the first attempt, and the retry did not post to them again.
    assert {room: len(chat_pipeline.posts(room, event_id)) for room in ROOMS[1:]} == dict.fromkeys(ROOMS[1:], 1)


def test_an_archived_channel_is_rejected_without_retrying(chat_pipeline):
    chat_pipeline.servers["stores"].script("stores", Refusal(410))
    event_id = emit("inventory.stock_low", sample("inventory.stock_low"))

    row = final_rows(event_id, len(ROOMS))["stores"]
    assert (row.status, row.retry_count) == ("REJECTED", 1)
    assert "slack HTTP 410: channel_is_archived" in row.error_message
    assert len(chat_pipeline.posts("stores", event_id)) == 1


def test_a_security_alert_goes_to_the_admins_room_only(chat_pipeline):
    event_id = emit("auth.security_alert", sample("auth.security_alert"))

    (row,) = final_rows(event_id, 1).values()
    assert (row.room, row.status) == ("admins", "SENT")
    (message,) = chat_pipeline.messages("admins", event_id)
    assert message.json["text"].startswith("*Security alert: New sign-in from an unknown device*")


def test_no_webhook_url_or_secret_reaches_a_log_line_or_row(chat_pipeline):
    logs = chat_pipeline.consumer.log() + chat_pipeline.relay.log()
    rows = " ".join(f"{r.error_message} {r.text} {r.provider_message_id}" for r in ChatLog.objects.all())
    for credential in ("xoxsecret", "local-token-", "key=AIza", "webhookb2/", SECRET):
        assert credential not in logs and credential not in rows


def test_consume_chat_refuses_to_start_without_rooms(comms_env):
    env = {**comms_env, "DJANGO_SETTINGS_MODULE": "chat_host_settings", "CHAT_ROOMS": "{}",
           "PYTHONPATH": os.pathsep.join([str(HOST_SETTINGS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    consumer = ManagedProcess("consume", "chat", env=env)
    try:
        consumer.process.wait(60)
    finally:
        code = consumer.stop()
    assert code != 0 and "the chat channel has no rooms: set CHAT_ROOMS" in consumer.log(), consumer.log()
