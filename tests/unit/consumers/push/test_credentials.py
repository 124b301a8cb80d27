"""PUSH_SERVICE_ACCOUNT read and checked, and the access-token cache: through google-auth's real
JWT-bearer exchange with the local token endpoint, which verifies the assertion's signature."""
from __future__ import annotations

import base64
import json
import threading
import time

import pytest

from chesanto_comms.embedded.fcm import FcmServer
from consumers.providers import TransientError
from consumers.push.credentials import AccessTokens, PushConfigError, ServiceAccount, access_tokens
from tests.unit.consumers.push.conftest import client_for, message


def test_the_key_is_read_from_json_text_or_from_a_file(fcm_server, tmp_path):
    info = fcm_server.service_account_info()
    key_file = tmp_path / "firebase-key.json"
    key_file.write_text(json.dumps(info))
    for raw in (json.dumps(info), str(key_file)):
        account = ServiceAccount.load(raw)
        assert (account.client_email, account.project_id, account.token_uri) == (
            fcm_server.client_email, fcm_server.project_id, fcm_server.token_uri)
    assert "PRIVATE KEY" not in repr(account)


@pytest.mark.parametrize("raw, problem", [
    ("", "PUSH_SERVICE_ACCOUNT is empty"),
    ("/nonexistent/firebase-key.json", "file /nonexistent/firebase-key.json cannot be read"),
    ("{not json", "is not JSON"),
    ('{"type": "authorized_user"}', 'its "type" must be "service_account"'),
    ('{"type": "service_account", "client_email": "a@b"}', "lacks private_key, token_uri"),
    ('{"type": "service_account", "client_email": "a@b", "token_uri": "http://x", "private_key": "nope"}',
     "its private_key cannot be used"),
])
def test_an_unusable_key_is_refused_naming_the_problem(raw, problem):
    with pytest.raises(PushConfigError, match=problem):
        ServiceAccount.load(raw)


def test_one_token_serves_every_send_until_it_expires(fcm_server, account):
    client = client_for(fcm_server, account)
    for n in range(5):
        client.send(message(f"device-{n}"))
    assert len(fcm_server.token_requests) == 1 and client.tokens.exchanges == 1
    bearer = {r.headers["authorization"] for r in fcm_server.send_requests}
    assert len(bearer) == 1 and bearer.pop().startswith("Bearer ya29.local-")


def test_a_token_is_refreshed_only_when_expired():
    # google-auth counts a token as expired 3 min 45 s before its end: one of 200 s is expired at once.
    with FcmServer(token_lifetime=200) as server:
        account = ServiceAccount.load(json.dumps(server.service_account_info()))
        client = client_for(server, account)
        for n in range(3):
            client.send(message(f"device-{n}"))
        assert len(server.token_requests) == 3


def test_a_token_refused_before_its_expiry_is_replaced_once(fcm_server, account):
    client = client_for(fcm_server, account)
    client.send(message())
    fcm_server.expire_tokens()  # revoked server-side: FCM answers 401 UNAUTHENTICATED
    sent = client.send(message())
    assert sent.provider_message_id.startswith(f"projects/{fcm_server.project_id}/messages/")
    assert len(fcm_server.token_requests) == 2
    assert [r.status for r in fcm_server.send_requests] == [200, 401, 200]


def test_sender_threads_share_one_token_and_one_exchange(fcm_server, account):
    tokens = AccessTokens(account, timeout=5.0)
    clients = [client_for(fcm_server, account) for _ in range(6)]
    for client in clients:
        client.tokens = tokens
    threads = [threading.Thread(target=lambda c=c: [c.send(message(f"d-{id(c)}-{n}")) for n in range(4)])
               for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(fcm_server.send_requests) == 24 and len(fcm_server.token_requests) == 1


def test_the_process_keeps_one_cache_per_key(fcm_server, account):
    assert access_tokens(account, 5.0) is access_tokens(ServiceAccount.load(json.dumps(account.info)), 5.0)
    rotated = {**account.info, "private_key_id": "rotated"}
    assert access_tokens(ServiceAccount.load(json.dumps(rotated)), 5.0) is not access_tokens(account, 5.0)


def test_an_assertion_signed_with_another_key_is_refused(fcm_server):
    with FcmServer() as impostor:  # its own key pair, claiming to be our service account
        forged = {**impostor.service_account_info(), "client_email": fcm_server.client_email,
                  "token_uri": fcm_server.token_uri}
    with pytest.raises(TransientError, match="invalid_grant: Invalid JWT Signature"):
        AccessTokens(ServiceAccount.load(json.dumps(forged)), timeout=5.0).token()
    assert fcm_server.issued == {}


def _assertion(server: FcmServer, **claims) -> str:
    """A JWT signed with the service account's own key (google-auth's signer), with chosen claims."""
    from google.auth import crypt, jwt

    info = server.service_account_info()
    now = int(time.time())
    payload = {"iss": server.client_email, "aud": "https://oauth2.googleapis.com/token", "iat": now,
               "exp": now + 3600, "scope": "https://www.googleapis.com/auth/firebase.messaging", **claims}
    return jwt.encode(crypt.RSASigner.from_service_account_info(info), payload).decode()


@pytest.mark.parametrize("claims, problem", [
    ({"exp": int(time.time()) - 10, "iat": int(time.time()) - 3610}, "short-lived token"),
    ({"exp": int(time.time()) + 7200}, "short-lived token"),
    ({"iss": "someone@else.iam.gserviceaccount.com"}, "is not the service account"),
    ({"scope": "https://www.googleapis.com/auth/cloud-platform.read-only"}, "lacks"),
    ({"aud": "https://example.com/token"}, "is not the token endpoint"),
])
def test_the_token_endpoint_refuses_expired_or_misaddressed_assertions(fcm_server, claims, problem):
    import requests

    response = requests.post(fcm_server.token_uri, timeout=5, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": _assertion(fcm_server, **claims)})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert problem in response.json()["error_description"]


def test_the_token_endpoint_refuses_a_tampered_assertion(fcm_server):
    import requests

    header, claims, signature = _assertion(fcm_server).split(".")
    changed = json.loads(base64.urlsafe_b64decode(claims + "=="))
    changed["exp"] += 60
    tampered = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
    response = requests.post(fcm_server.token_uri, timeout=5, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": f"{header}.{tampered}.{signature}"})
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}


def test_an_unreachable_token_endpoint_is_transient(account):
    down = ServiceAccount.load(json.dumps({**account.info, "token_uri": "http://127.0.0.1:9/token"}))
    with pytest.raises(TransientError, match="no FCM access token from http://127.0.0.1:9/token"):
        AccessTokens(down, timeout=2.0).token()
