"""The app's bearer tokens: issued, read back, ended by age, a password change, deactivation or
another site's key; and the device endpoints taking them without CSRF, while a session keeps it."""
from __future__ import annotations

import json
import time

import pytest
from django.core import signing
from django.test import Client

from consumers.push.app_tokens import SALT, InvalidAppToken, _fingerprint, issue_token, user_for
from consumers.push.models import PushDevice
from tests.unit.consumers.push.conftest import user

pytestmark = pytest.mark.django_db

DEVICES = "/comms/push/devices/"
REGISTRATION = json.dumps({"token": "fcm-token-1", "platform": "android"})


class Backdated(signing.TimestampSigner):
    """Signs as if `age` seconds ago (what signing.dumps does, at another time)."""

    def __init__(self, age: int, **kwargs):
        super().__init__(**kwargs)
        self.age = age

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - self.age)


def test_a_token_names_its_user():
    wanjiku = user("wanjiku@example.com")
    assert user_for(issue_token(wanjiku)) == wanjiku


def test_a_token_ends_after_its_max_age(settings):
    settings.PUSH_APP_TOKEN_MAX_AGE = 3600
    wanjiku = user("wanjiku@example.com")
    claims = {"user": wanjiku.pk, "password": _fingerprint(wanjiku)}
    assert user_for(Backdated(3500, salt=SALT).sign_object(claims)) == wanjiku
    with pytest.raises(InvalidAppToken, match=r"expired \(they last PUSH_APP_TOKEN_MAX_AGE=3600 seconds\): sign in"):
        user_for(Backdated(3700, salt=SALT).sign_object(claims))


def test_a_password_change_or_deactivation_ends_it():
    wanjiku = user("wanjiku@example.com")
    token = issue_token(wanjiku)
    wanjiku.set_password("a new passphrase")
    wanjiku.save()
    with pytest.raises(InvalidAppToken, match="no longer valid .the password changed"):
        user_for(token)
    token = issue_token(wanjiku)
    wanjiku.is_active = False
    wanjiku.save()
    with pytest.raises(InvalidAppToken, match="no longer valid"):
        user_for(token)


@pytest.mark.parametrize("forge", [
    lambda u: signing.dumps({"user": u.pk, "password": _fingerprint(u)}),  # signed for something else (another salt)
    lambda u: issue_token(u) + "x",  # tampered with
    lambda u: "not-a-token",
])
def test_a_token_not_signed_here_for_this_is_refused(forge):
    with pytest.raises(InvalidAppToken, match="not an app token of this site"):
        user_for(forge(user("wanjiku@example.com")))


def test_a_token_survives_a_secret_key_rotation(settings):
    wanjiku = user("wanjiku@example.com")
    token = issue_token(wanjiku)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert user_for(token) == wanjiku
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(InvalidAppToken):
        user_for(token)


# --- the endpoints ----------------------------------------------------------
def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_bearer_request_needs_no_csrf_token_and_wins_over_a_session():
    wanjiku, kiprono = user("wanjiku@example.com"), user("kiprono@example.com")
    app = Client(enforce_csrf_checks=True)
    app.force_login(kiprono)  # a session cookie too, of someone else: the bearer token says who it is
    response = app.post(DEVICES, REGISTRATION, content_type="application/json", headers=bearer(issue_token(wanjiku)))
    assert response.status_code == 201 and PushDevice.objects.get(token="fcm-token-1").user == wanjiku
    listed = app.get(DEVICES, headers=bearer(issue_token(wanjiku))).json()["devices"]
    assert [d["token"] for d in listed] == ["fcm-token-1"]
    assert app.post(f"{DEVICES}unregister/", json.dumps({"token": "fcm-token-1"}), content_type="application/json",
                    headers=bearer(issue_token(wanjiku))).status_code == 204


def test_a_session_request_keeps_the_csrf_check():
    app = Client(enforce_csrf_checks=True)
    app.force_login(user("wanjiku@example.com"))
    assert app.post(DEVICES, REGISTRATION, content_type="application/json").status_code == 403
    assert app.delete(f"{DEVICES}fcm-token-1/").status_code == 403
    assert not PushDevice.objects.exists()


def test_a_bad_bearer_token_is_a_401_that_says_why_and_never_falls_back_to_the_session():
    wanjiku = user("wanjiku@example.com")
    app = Client()
    app.force_login(wanjiku)
    response = app.post(DEVICES, REGISTRATION, content_type="application/json", headers=bearer("forged"))
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="push", error="invalid_token"'
    assert response.json() == {"error": "not an app token of this site: sign in again for a new one"}
    assert not PushDevice.objects.exists()


def test_nobody_gets_a_401_naming_both_ways_in():
    response = Client().get(DEVICES)
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="push"'
    assert "Authorization: Bearer <token>" in response.json()["error"]


def test_a_signed_in_session_gets_an_app_token_and_a_bearer_token_gets_none(settings):
    settings.PUSH_APP_TOKEN_MAX_AGE = 86400
    wanjiku = user("wanjiku@example.com")
    web_view = Client(enforce_csrf_checks=True)
    web_view.force_login(wanjiku)
    web_view.get(DEVICES)  # the CSRF cookie
    csrf = {"X-CSRFToken": web_view.cookies["csrftoken"].value}
    assert web_view.post("/comms/push/app-token/").status_code == 403  # CSRF, as every session POST
    answer = web_view.post("/comms/push/app-token/", headers=csrf).json()
    assert answer["expires_in"] == 86400 and user_for(answer["token"]) == wanjiku
    app = Client()
    refused = app.post("/comms/push/app-token/", headers=bearer(answer["token"]))
    assert refused.status_code == 401 and "token" not in refused.json()
