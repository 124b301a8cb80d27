"""Rooms and routes as settings: each problem named by room and setting, never by URL or secret."""
import json

import pytest

from chesanto_chat.channel import ChatChannel
from chesanto_chat.rooms import Room, Service, masked_url, rooms, routes
from chesanto_chat.settings import DEFAULT_ROUTES

SLACK_URL = "https://hooks.slack.com/services/T1/B2/very-secret-part"


def test_rooms_read_from_a_dict(settings):
    settings.CHAT_ROOMS = {"stores": {"service": "slack", "url": SLACK_URL},
                           "pos": {"service": "webhook", "url": "https://pos.example/h", "secret": "x" * 20}}
    found = rooms()
    assert found["stores"] == Room("stores", Service.SLACK, SLACK_URL)
    assert found["pos"].secret == "x" * 20
    assert "very-secret" not in repr(found) and str(found["stores"]) == "stores (slack, https://hooks.slack.com/…)"


def test_rooms_and_routes_read_from_json_in_the_environment(monkeypatch):
    monkeypatch.setenv("CHAT_ROOMS", json.dumps({"admins": {"service": "google_chat", "url": SLACK_URL}}))
    monkeypatch.setenv("CHAT_ROUTES", json.dumps({"auth.security_alert": "admins"}))
    assert list(rooms()) == ["admins"] and routes() == {"auth.security_alert": ["admins"]}


def test_routes_default_to_the_conventional_rooms():
    assert routes() == DEFAULT_ROUTES


def test_no_rooms_is_not_a_problem_but_the_channel_will_not_start(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CHAT_ROOMS = {}
    assert ChatChannel().settings_problems() == []
    with pytest.raises(ImproperlyConfigured, match="set CHAT_ROOMS"):
        ChatChannel().check()


def test_each_problem_is_named_without_the_url_or_secret(settings):
    settings.CHAT_ROOMS = {
        "a": {"service": "skype", "url": SLACK_URL},
        "b": {"service": "slack", "url": "hooks.slack.com/very-secret-part"},
        "c": {"service": "webhook", "url": "https://pos.example/h", "secret": "short-secret"},
        "d": {"service": "slack", "url": SLACK_URL, "secret": "very-secret-secret-1"},
        "e": {"service": "slack", "url": SLACK_URL},
    }
    settings.CHAT_ROUTES = {"inventory.stock_low": ["e", "nowhere"], "sales.order_confirmed": ["e"]}
    problems = ChatChannel().settings_problems()
    assert problems == [
        "CHAT_ROOMS['a']: service 'skype' is not one of slack, teams, google_chat, webhook",
        "CHAT_ROOMS['b']: url is not an http(s) URL (the webhook URL the service gave)",
        "CHAT_ROOMS['c']: a webhook room needs a secret of 16 or more characters, shared with its receiver "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
        "CHAT_ROOMS['d']: only a webhook room takes a secret (slack URLs carry their own)",
        "CHAT_ROUTES['inventory.stock_low'] names rooms not in CHAT_ROOMS: nowhere",
        "CHAT_ROUTES['sales.order_confirmed']: the chat channel sends nothing for it (it sends auth.security_alert, "
        "inventory.stock_low, production.schedule_published)",
    ]
    assert not any("very-secret" in p or "short-secret" in p for p in problems)


def test_bad_json_is_reported_without_quoting_it(monkeypatch):
    from chesanto_chat.settings import chat_settings
    from chesanto_comms.env import SettingError

    monkeypatch.setenv("CHAT_ROOMS", '{"stores": {"url": "' + SLACK_URL + '"')
    with pytest.raises(SettingError) as caught:
        chat_settings.declared["CHAT_ROOMS"].resolve()
    assert "very-secret" not in str(caught.value) and "CHAT_ROOMS is not JSON" in str(caught.value)


def test_a_masked_url_is_its_scheme_and_host():
    assert masked_url(SLACK_URL) == "https://hooks.slack.com/…"
    assert masked_url("nonsense") == "(not a URL)"
