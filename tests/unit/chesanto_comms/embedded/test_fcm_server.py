"""The local FCM server refuses what FCM v1 and Google's token endpoint refuse, and records what it got."""
from __future__ import annotations

import json

import pytest
import requests

from chesanto_comms.embedded.fcm import FcmServer
from consumers.push.credentials import AccessTokens, ServiceAccount


@pytest.fixture(scope="module")
def server():
    with FcmServer(project_id="bakery-app-test") as server:
        yield server


@pytest.fixture(scope="module")
def bearer(server) -> dict[str, str]:
    token = AccessTokens(ServiceAccount.load(json.dumps(server.service_account_info())), timeout=5).token()
    return {"Authorization": f"Bearer {token}"}


def send(server, body, headers, project: str = "bakery-app-test") -> requests.Response:
    return requests.post(f"{server.url}/v1/projects/{project}/messages:send", json=body, headers=headers, timeout=5)


def test_the_token_endpoint_takes_only_the_jwt_bearer_grant(server):
    refused = requests.post(server.token_uri, data={"grant_type": "client_credentials"}, timeout=5)
    assert (refused.status_code, refused.json()["error"]) == (400, "unsupported_grant_type")
    garbage = requests.post(server.token_uri, timeout=5, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "not-a-jwt"})
    assert (garbage.status_code, garbage.json()["error"]) == (400, "invalid_grant")
    assert requests.get(server.token_uri, timeout=5).status_code == 405


def test_send_needs_a_token_it_issued_and_the_right_project(server, bearer):
    message = {"message": {"token": "t", "notification": {"title": "a", "body": "b"}}}
    unauthenticated = send(server, message, {"Authorization": "Bearer ya29.forged"})
    assert (unauthenticated.status_code, unauthenticated.json()["error"]["status"]) == (401, "UNAUTHENTICATED")
    wrong_project = send(server, message, bearer, project="someone-else")
    assert (wrong_project.status_code, wrong_project.json()["error"]["status"]) == (403, "PERMISSION_DENIED")
    ok = send(server, message, bearer)
    assert ok.status_code == 200 and ok.json()["name"].startswith("projects/bakery-app-test/messages/0:")


@pytest.mark.parametrize("body, field", [
    ({"message": {"token": "t"}, "extra": 1}, "extra"),
    ({"message": {"token": "t", "badge": 1}}, "message.badge"),
    ({"message": {"token": "t", "topic": "news"}}, "message.token"),
    ({"message": {"notification": {"title": "a"}}}, "message.token"),
    ({"message": {"token": "t", "data": {"n": 3}}}, "message.data[0].value"),
    ({"message": {"token": "t", "data": {"google.x": "y"}}}, "message.data[0].key"),
    ({"message": {"token": "t", "android": {"priority": "URGENT"}}}, "message.android.priority"),
    ({"message": {"token": "t", "android": {"ttl": "12 hours"}}}, "message.android.ttl"),
])
def test_a_malformed_message_is_a_bad_request_naming_the_field(server, bearer, body, field):
    response = send(server, body, bearer)
    error = response.json()["error"]
    assert (response.status_code, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["details"][0]["fieldViolations"][0]["field"] == field


def test_unknown_paths_and_what_was_recorded(server, bearer):
    assert requests.post(f"{server.url}/v1/projects/bakery-app-test/messages", timeout=5).status_code == 404
    send(server, {"message": {"token": "unregistered-x"}}, bearer)
    (request,) = server.to("unregistered-x")
    assert request.status == 404 and json.loads(request.answer)["error"]["details"][0]["errorCode"] == "UNREGISTERED"
    assert all(r.path == "/token" for r in server.token_requests) and server.token_requests
