"""The mobile app's device-token endpoints (/comms/push/devices/…), through Django's test client
with a signed-in user's session, CSRF checked as Django checks it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from consumers.push.models import TOKEN_MAX_LENGTH, PushDevice

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DEVICES = "/comms/push/devices/"
TOKEN = "fCR4I4qSziQ:APA91bEawt65JID-tokens_look_like_this"


def user(name: str):
    return get_user_model().objects.create_user(name, email=f"{name}@example.com")


@pytest.fixture
def app():
    """The mobile app: a session signed in as Wanjiku, sending Django's CSRF token as it must."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("wanjiku"))
    client.get(DEVICES)  # sets the csrftoken cookie
    client.csrf = client.cookies["csrftoken"].value
    return client


def post(client, path: str, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf, **headers)


def delete(client, token: str):
    return client.delete(f"{DEVICES}{token}/", HTTP_X_CSRFTOKEN=client.csrf)


def test_register_then_refresh_a_device(app):
    created = post(app, DEVICES, {"token": TOKEN, "platform": "android"})
    assert created.status_code == 201 and created.json()["created"] is True
    device = PushDevice.objects.get(token=TOKEN)
    assert (device.user.username, device.platform) == ("wanjiku", "android")
    seen = device.last_seen_at

    refreshed = post(app, DEVICES, {"token": TOKEN, "platform": "android"})
    assert refreshed.status_code == 200 and refreshed.json()["created"] is False
    assert PushDevice.objects.get(token=TOKEN).last_seen_at > seen and PushDevice.objects.count() == 1
    assert app.get(DEVICES).json()["devices"] == [
        {k: v for k, v in refreshed.json().items() if k != "created"}]


def test_a_token_registered_by_another_user_moves_to_them_as_if_new(app):
    """Someone else signed in on Kiprono's phone: the token moves, and Wanjiku's answer is a first
    registration's (201, created, a fresh created_at), exactly as for a token nobody had."""
    other = Client()
    other.force_login(user("kiprono"))
    other.post(DEVICES, {"token": TOKEN, "platform": "ios"}, content_type="application/json")
    PushDevice.objects.filter(token=TOKEN).update(created_at=timezone.now() - timedelta(days=30))
    before = timezone.now()
    moved = post(app, DEVICES, {"token": TOKEN, "platform": "ios"})
    fresh = post(app, DEVICES, {"token": "never-seen-token", "platform": "ios"})
    assert (moved.status_code, fresh.status_code) == (201, 201)
    assert moved.json().keys() == fresh.json().keys() and moved.json()["created"] is fresh.json()["created"] is True
    assert datetime.fromisoformat(moved.json()["created_at"]) >= before
    assert PushDevice.objects.get(token=TOKEN).user.username == "wanjiku"
    assert other.get(DEVICES).json() == {"devices": []}


@pytest.mark.parametrize("body, error", [
    ({"token": TOKEN, "platform": "blackberry"}, "platform must be one of android, ios, web, not 'blackberry'"),
    ({"token": TOKEN}, "platform must be one of android, ios, web, not None"),
    ({"platform": "ios"}, "token is required"),
    ({"token": "", "platform": "ios"}, "token is required"),
    ({"token": 12345, "platform": "ios"}, "token is required"),
    ({"token": "x" * (TOKEN_MAX_LENGTH + 1), "platform": "ios"}, f"has at most {TOKEN_MAX_LENGTH}"),
    ({"token": "two words", "platform": "ios"}, "holds spaces"),
    ("not json", "the body must be a JSON object"),
    (["a", "list"], "the body must be a JSON object, not list"),
])
def test_bad_registrations_get_a_clear_400(app, body, error):
    response = post(app, DEVICES, body)
    assert response.status_code == 400 and error in response.json()["error"]
    assert not PushDevice.objects.exists()


def test_unregister_own_device_by_delete_or_post(app):
    post(app, DEVICES, {"token": TOKEN, "platform": "android"})
    assert delete(app, TOKEN).status_code == 204 and not PushDevice.objects.exists()
    post(app, DEVICES, {"token": TOKEN, "platform": "android"})
    assert post(app, f"{DEVICES}unregister/", {"token": TOKEN}).status_code == 204
    assert not PushDevice.objects.exists()


def test_another_users_token_is_not_found_exactly_as_an_unknown_one(app):
    PushDevice.objects.create(user=user("kiprono"), token="kiprono-phone", platform="ios")
    unknown = delete(app, "never-registered")
    assert unknown.status_code == 404 and unknown.json() == {"error": "you have no device registered with this token"}
    for theirs in (delete(app, "kiprono-phone"), post(app, f"{DEVICES}unregister/", {"token": "kiprono-phone"})):
        assert (theirs.status_code, theirs.content, theirs["Content-Type"]) == (
            unknown.status_code, unknown.content, unknown["Content-Type"])
    assert PushDevice.objects.filter(token="kiprono-phone", user__username="kiprono").exists()


def test_a_user_keeps_their_newest_devices_up_to_the_limit(app, settings):
    settings.PUSH_MAX_DEVICES_PER_USER = 3
    theirs = PushDevice.objects.create(user=user("kiprono"), token="kiprono-phone", platform="ios")
    for n in range(1, 5):
        assert post(app, DEVICES, {"token": f"phone-{n}", "platform": "android"}).status_code == 201
    listed = lambda: sorted(d["token"] for d in app.get(DEVICES).json()["devices"])  # noqa: E731
    assert listed() == ["phone-2", "phone-3", "phone-4"]  # phone-1, seen longest ago, was dropped
    assert post(app, DEVICES, {"token": "phone-2", "platform": "android"}).status_code == 200  # seen again
    assert post(app, DEVICES, {"token": "phone-5", "platform": "android"}).status_code == 201
    assert listed() == ["phone-2", "phone-4", "phone-5"]
    assert PushDevice.objects.filter(pk=theirs.pk).exists()  # another user's devices are not counted


def test_a_session_is_required():
    anonymous = Client()
    for response in (anonymous.get(DEVICES), anonymous.post(DEVICES, {}, content_type="application/json"),
                     anonymous.delete(f"{DEVICES}{TOKEN}/")):
        assert response.status_code == 401 and "sign in first" in response.json()["error"]


def test_changes_need_the_csrf_token(app):
    response = app.post(DEVICES, json.dumps({"token": TOKEN, "platform": "ios"}), content_type="application/json")
    assert response.status_code == 403 and not PushDevice.objects.exists()
    assert app.delete(f"{DEVICES}{TOKEN}/").status_code == 403


def test_other_methods_are_not_allowed(app):
    assert app.put(DEVICES, HTTP_X_CSRFTOKEN=app.csrf).status_code == 405
    assert app.get(f"{DEVICES}{TOKEN}/").status_code == 405
