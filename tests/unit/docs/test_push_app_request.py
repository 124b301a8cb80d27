"""docs/push.md's app-side snippets send the request the document shows, which is the request
tests/integration/push/test_app_tokens.py sends (it reads it from the same block)."""
from __future__ import annotations

import re

import pytest

from tests.support.documented_request import ROOT, documented_request

APP_REQUEST = documented_request("docs/push.md", "app-request")


def snippet(language: str) -> str:
    text = (ROOT / "docs/push.md").read_text()
    (code,) = re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)
    return code


def test_the_documented_request_is_a_bearer_json_post_to_the_devices_endpoint():
    assert (APP_REQUEST.method, APP_REQUEST.path) == ("POST", "/comms/push/devices/")
    assert APP_REQUEST.headers == {"Authorization": "Bearer <app token>",
                                   "Content-Type": "application/json; charset=utf-8"}
    assert APP_REQUEST.body == {"token": "<FCM registration token>", "platform": "android"}


@pytest.mark.parametrize("language, authorization, platform", [
    ("kotlin", '.header("Authorization", "Bearer $appToken")', '"platform" to "android"'),
    ("swift", 'request.setValue("Bearer \\(appToken)", forHTTPHeaderField: "Authorization")', '"platform": "ios"'),
])
def test_each_snippet_sends_that_request(language, authorization, platform):
    code = snippet(language)
    assert f'"{APP_REQUEST.path}"' in code or f'/{APP_REQUEST.path.lstrip("/")}"' in code
    assert authorization in code and platform in code
    assert code.count("Bearer") == 1 and '"application/json; charset=utf-8"' in code
    assert ('"token" to fcmToken' if language == "kotlin" else '"token": fcmToken') in code
    assert "POST" in code or ".post(" in code
    for absent in ("X-CSRFToken", "Cookie", "Referer", "Origin"):
        assert absent not in code, f"the {language} snippet sends {absent}"
