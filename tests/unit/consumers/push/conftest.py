"""The local FCM server (real HTTP on loopback, issuing real OAuth2 tokens) and clients pointed at it."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chesanto_comms.embedded.fcm import FcmServer
from consumers.push.credentials import AccessTokens, ServiceAccount
from consumers.push.fcm import FcmClient


@pytest.fixture(scope="session")
def service_account_key() -> rsa.RSAPrivateKey:
    """One RSA key for the session's servers (making one takes a good part of a second)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fcm_server(service_account_key):
    with FcmServer(private_key=service_account_key) as server:
        yield server


@pytest.fixture
def account(fcm_server) -> ServiceAccount:
    return ServiceAccount.load(json.dumps(fcm_server.service_account_info()))


def client_for(server: FcmServer, account: ServiceAccount, **overrides) -> FcmClient:
    options = {"project_id": server.project_id, "base_url": server.url, "timeout": 5.0}
    return FcmClient(AccessTokens(account, timeout=5.0), **{**options, **overrides})


@pytest.fixture
def fcm(fcm_server, account):
    client = client_for(fcm_server, account)
    yield client
    client.close()


def message(token: str = "device-token-1", **changes) -> dict:
    return {"token": token, "notification": {"title": "Low stock: Wheat flour", "body": "12.5 kg left."},
            "data": {"event_id": "e1"}, **changes}
