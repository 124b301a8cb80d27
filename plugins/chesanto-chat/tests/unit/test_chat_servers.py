"""Each service's `send` over real HTTP to the local server that answers as the service does
(chesanto_chat/testing.py): taken, refused for a while then taken, refused for good."""
from __future__ import annotations

import pytest
import requests

from chesanto_chat.compose import ChatMessage
from chesanto_chat.rooms import Room, Service
from chesanto_chat.services import SERVICES
from chesanto_chat.testing import GoogleChatServer, Refusal, SignedWebhookServer, SlackServer, TeamsServer
from consumers.providers import PermanentError, TransientError

MESSAGE = ChatMessage("chat_inventory_low_stock", "Low stock: Rye", "Rye is down to 3 kg.", (("Product", "Rye"),),
                      "7d1e7c1a-0000-4000-8000-000000000002", "inventory.stock_low", "2026-11-21T08:00:00+00:00")
SECRET = "local-secret-0123456789"
KINDS = {
    Service.SLACK: SlackServer,
    Service.TEAMS: TeamsServer,
    Service.GOOGLE_CHAT: GoogleChatServer,
    Service.WEBHOOK: lambda: SignedWebhookServer({"room": SECRET}),
}


@pytest.fixture(params=list(KINDS), ids=lambda s: s.value)
def service(request):
    with KINDS[request.param]() as server:
        room = Room("room", request.param, server.url_for("room"), SECRET if request.param is Service.WEBHOOK else "")
        with requests.Session() as session:
            yield server, room, lambda: SERVICES[request.param].send(session, room, MESSAGE, timeout=5)


def test_the_server_takes_the_message_as_the_service_would(service):
    server, room, send = service
    sent = send()
    (received,) = server.messages("room")
    assert sent.provider == SERVICES[room.service].name
    assert MESSAGE.event_id in received.body.decode()


def test_a_429_with_retry_after_is_transient_then_the_next_post_is_taken(service):
    server, room, send = service
    server.script("room", Refusal(429, retry_after=3), Refusal(503))
    with pytest.raises(TransientError) as first:
        send()
    with pytest.raises(TransientError) as second:
        send()
    send()
    assert (first.value.retry_after, second.value.retry_after) == (3.0, None)
    assert [r.status for r in server.to("room")] == [429, 503, 200]
    assert len(server.messages("room")) == 1


def test_a_removed_webhook_is_rejected_for_good(service):
    server, room, send = service
    server.script("room", Refusal(404))
    with pytest.raises(PermanentError) as caught:
        send()
    assert caught.value.status == "REJECTED"


def test_slack_says_why_in_its_body():
    with SlackServer() as server, requests.Session() as session:
        room = Room("stores", Service.SLACK, server.url_for("stores"))
        server.script("stores", Refusal(410))
        with pytest.raises(PermanentError) as caught:
            SERVICES[Service.SLACK].send(session, room, MESSAGE, timeout=5)
    assert "slack HTTP 410: channel_is_archived" in str(caught.value) and caught.value.status == "REJECTED"


def test_the_receiver_refuses_a_post_signed_with_another_secret():
    with SignedWebhookServer({"pos": SECRET}) as server, requests.Session() as session:
        room = Room("pos", Service.WEBHOOK, server.url_for("pos"), secret="not-the-receivers-secret")
        with pytest.raises(PermanentError) as caught:
            SERVICES[Service.WEBHOOK].send(session, room, MESSAGE, timeout=5)
    assert caught.value.status == "REJECTED" and "does not match" in str(caught.value)


def test_a_service_that_cannot_be_reached_is_transient_and_the_url_is_not_quoted():
    with SlackServer() as server:
        url = server.url_for("stores")
    with requests.Session() as session:  # the server is gone: connection refused
        with pytest.raises(TransientError) as caught:
            SERVICES[Service.SLACK].send(session, Room("stores", Service.SLACK, url), MESSAGE, timeout=2)
    assert str(caught.value) == "slack http://127.0.0.1/…: ConnectionError"
