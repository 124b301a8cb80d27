"""Each service's payload and how each reads its answers (the pure parts: no HTTP)."""
from __future__ import annotations

import json

import pytest

from chesanto_chat.compose import ChatMessage
from chesanto_chat.rooms import Room, Service
from chesanto_chat.services import SERVICES
from chesanto_chat.services.base import Answer, retry_after
from consumers.providers import PermanentError, Sent, TransientError

MESSAGE = ChatMessage("chat_inventory_low_stock", "Low stock: Wheat flour", "Down to 12 kg <below> 50 kg & falling",
                      (("Product", "Wheat flour (P-1)"), ("In stock", "12 kg")), "4c0f7a4e-0000-4000-8000-000000000001",
                      "inventory.stock_low", "2026-11-21T08:00:00+00:00")
SLACK = Room("stores", Service.SLACK, "https://hooks.slack.com/services/T1/B2/secretpart")
TEAMS = Room("kitchen", Service.TEAMS, "https://x.webhook.office.com/webhookb2/secretpart")
GOOGLE = Room("admins", Service.GOOGLE_CHAT, "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t")
HOOK = Room("pos", Service.WEBHOOK, "https://pos.example/hooks/chesanto", secret="s" * 32)


def answer(status: int, body: str = "", **headers: str) -> Answer:
    return Answer(status, body, {k.lower().replace("_", "-"): v for k, v in headers.items()})


def classify(room: Room, status: int, body: str = "", **headers: str):
    return SERVICES[room.service].classify(answer(status, body, **headers), room)


# --- payloads -----------------------------------------------------------------
def test_slack_sends_text_and_blocks_with_mrkdwn_escaped():
    payload = SERVICES[Service.SLACK].payload(MESSAGE, SLACK)
    header, section, fields, context = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "Low stock: Wheat flour", "emoji": True}}
    assert section["text"] == {"type": "mrkdwn", "text": "Down to 12 kg &lt;below&gt; 50 kg &amp; falling"}
    assert fields["fields"][0] == {"type": "mrkdwn", "text": "*Product*\nWheat flour (P-1)"}
    assert MESSAGE.event_id in context["elements"][0]["text"]
    assert payload["text"].startswith("Low stock: Wheat flour\nDown to 12 kg &lt;below&gt;")


def test_teams_sends_one_adaptive_card_with_the_fields_as_facts():
    payload = SERVICES[Service.TEAMS].payload(MESSAGE, TEAMS)
    (attachment,) = payload["attachments"]
    card = attachment["content"]
    assert payload["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0]["text"] == MESSAGE.title and card["body"][1]["text"] == MESSAGE.text
    assert card["body"][2] == {"type": "FactSet", "facts": [{"title": "Product", "value": "Wheat flour (P-1)"},
                                                            {"title": "In stock", "value": "12 kg"}]}


def test_google_chat_sends_text_only():
    payload = SERVICES[Service.GOOGLE_CHAT].payload(MESSAGE, GOOGLE)
    assert list(payload) == ["text"]
    assert payload["text"].startswith("*Low stock: Wheat flour*\n\nDown to 12 kg <below>")
    assert "*Product:* Wheat flour (P-1)" in payload["text"]


def test_the_generic_webhook_body_carries_the_event_and_the_rendered_message():
    service = SERVICES[Service.WEBHOOK]
    body = service.body(MESSAGE, HOOK)
    assert json.loads(body) == {
        "id": MESSAGE.event_id, "type": "inventory.stock_low", "time": "2026-11-21T08:00:00+00:00",
        "notification": "chat_inventory_low_stock", "room": "pos", "title": MESSAGE.title, "text": MESSAGE.text,
        "fields": [{"label": "Product", "value": "Wheat flour (P-1)"}, {"label": "In stock", "value": "12 kg"}]}
    headers = service.headers(HOOK, MESSAGE, body, 1796112000.0)
    assert headers["X-Chesanto-Timestamp"] == "1796112000"
    assert headers["X-Chesanto-Signature"].startswith("sha256=") and len(headers["X-Chesanto-Signature"]) == 71
    assert headers["X-Chesanto-Event-Id"] == MESSAGE.event_id
    assert headers["X-Chesanto-Event-Type"] == "inventory.stock_low"


# --- answers --------------------------------------------------------------------
@pytest.mark.parametrize(("room", "status", "body"), [
    (SLACK, 200, "ok"), (TEAMS, 200, "1"), (TEAMS, 202, ""), (GOOGLE, 200, '{"name": "spaces/AAA/messages/x.1"}'),
    (HOOK, 204, ""),
])
def test_a_taken_message_is_sent(room, status, body):
    assert isinstance(classify(room, status, body), Sent)


def test_google_chat_keeps_the_message_name():
    assert classify(GOOGLE, 200, '{"name": "spaces/AAA/messages/x.1"}').provider_message_id == "spaces/AAA/messages/x.1"


@pytest.mark.parametrize("room", [SLACK, TEAMS, GOOGLE, HOOK])
@pytest.mark.parametrize(("status", "headers", "waited"), [
    (429, {"Retry_After": "7"}, 7.0), (503, {"Retry_After": "2"}, 2.0), (500, {}, None), (502, {}, None),
])
def test_429_and_5xx_are_transient_with_the_retry_after_asked(room, status, headers, waited):
    with pytest.raises(TransientError) as caught:
        classify(room, status, "busy", **headers)
    assert caught.value.retry_after == waited


@pytest.mark.parametrize(("code", "status"), [
    ("invalid_payload", "FAILED"), ("no_service", "REJECTED"), ("channel_is_archived", "REJECTED"),
    ("action_prohibited", "REJECTED"), ("invalid_token", "REJECTED"),
])
def test_slack_refusals_are_permanent_by_their_code(code, status):
    http = {"invalid_payload": 400, "no_service": 404, "channel_is_archived": 410}.get(code, 403)
    with pytest.raises(PermanentError) as caught:
        classify(SLACK, http, code)
    assert caught.value.status == status and f"slack HTTP {http}: {code}" in str(caught.value)


def test_a_teams_throttle_answered_200_is_transient():
    with pytest.raises(TransientError):
        classify(TEAMS, 200, "Microsoft Teams endpoint returned HTTP error 429 with ContextId …")


@pytest.mark.parametrize(("room", "status", "expected"), [
    (TEAMS, 400, "FAILED"), (TEAMS, 404, "REJECTED"), (GOOGLE, 400, "FAILED"), (GOOGLE, 403, "REJECTED"),
    (HOOK, 401, "REJECTED"), (HOOK, 422, "FAILED"), (HOOK, 410, "REJECTED"),
])
def test_other_4xx_are_permanent(room, status, expected):
    with pytest.raises(PermanentError) as caught:
        classify(room, status, "no")
    assert caught.value.status == expected


def test_retry_after_reads_seconds_and_http_dates_and_ignores_nonsense():
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now=1792567700.0) == 10.0
    assert retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now=1792567800.0) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None and retry_after("") is None


@pytest.mark.parametrize("room", [SLACK, TEAMS, GOOGLE, HOOK])
def test_no_error_quotes_the_webhook_url(room):
    for status in (429, 404):
        with pytest.raises((TransientError, PermanentError)) as caught:
            classify(room, status, "x")
        assert "secretpart" not in str(caught.value) and "token=" not in str(caught.value)
