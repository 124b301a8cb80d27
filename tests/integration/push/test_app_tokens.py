"""A native app registers its device over HTTPS with its bearer token, sending exactly the request
docs/push.md shows, to the live server behind a TLS proxy (`X-Forwarded-Proto: https`, which
SECURE_PROXY_SSL_HEADER trusts, as in production) with no Referer and no Origin, as native HTTP
clients send none. A cookie-authenticated request there keeps Django's CSRF check, which is why
an app cannot use one: without the CSRF token 403, with it but without a Referer 403 too."""
from __future__ import annotations

import json
import logging

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from consumers.push.app_tokens import issue_token
from consumers.push.models import PushDevice
from tests.support.documented_request import documented_request

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

APP_REQUEST = documented_request("docs/push.md", "app-request")
BEHIND_TLS_PROXY = {"X-Forwarded-Proto": "https"}  # what the proxy adds; the client spoke HTTPS to it
FCM_TOKEN = "fCR4I4qSziQ:APA91bEawt65JID-a_native_apps_token"


@pytest.fixture(autouse=True)
def behind_a_tls_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # the live server runs in this process


def user(name: str):
    return get_user_model().objects.create_user(name, email=f"{name}@example.com")


@pytest.mark.parametrize("platform", ["android", "ios"])  # the Kotlin and the Swift snippet
def test_the_documented_app_request_registers_a_device_over_https(live_server, platform):
    wanjiku = user("wanjiku")
    headers, body = APP_REQUEST.with_values(**{"app token": issue_token(wanjiku), "FCM registration token": FCM_TOKEN})
    response = requests.request(APP_REQUEST.method, live_server.url + APP_REQUEST.path, timeout=10,
                                headers={**headers, **BEHIND_TLS_PROXY},
                                data=json.dumps({**body, "platform": platform}).encode())
    assert not {"Referer", "Origin", "Cookie", "X-CSRFToken"} & set(response.request.headers)
    assert response.status_code == 201, response.text
    assert response.json()["created"] is True
    device = PushDevice.objects.get(token=FCM_TOKEN)
    assert (device.user, device.platform) == (wanjiku, platform)


def test_a_cookie_request_over_https_keeps_djangos_csrf_check(live_server, caplog):
    client = Client()
    client.force_login(user("kiprono"))
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    url = live_server.url + APP_REQUEST.path
    assert browser.get(url, headers=BEHIND_TLS_PROXY, timeout=10).status_code == 200  # sets the CSRF cookie
    json_body = {"Content-Type": "application/json", **BEHIND_TLS_PROXY}
    body = json.dumps({"token": FCM_TOKEN, "platform": "android"})

    without_csrf = browser.post(url, data=body, headers=json_body, timeout=10)
    assert without_csrf.status_code == 403
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"], **json_body}
    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        without_referer = browser.post(url, data=body, headers=csrf, timeout=10)
    assert without_referer.status_code == 403  # what a native app's every registration got before app tokens
    assert "Referer checking failed - no Referer" in caplog.text
    assert not PushDevice.objects.exists()

    same_origin = {"Referer": f"https://{live_server.url.split('://', 1)[1]}/comms/push/", **csrf}  # a browser's
    assert browser.post(url, data=body, headers=same_origin, timeout=10).status_code == 201
