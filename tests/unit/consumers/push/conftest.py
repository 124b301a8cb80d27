"""The local FCM server (real HTTP on loopback, issuing real OAuth2 tokens), clients and a push
channel pointed at it, and the events, users and devices a channel test starts from."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model

from chesanto_comms.embedded.fcm import FcmServer
from consumers.events import InboundEvent
from consumers.push.channel import PushChannel
from consumers.push.credentials import AccessTokens, ServiceAccount
from consumers.push.fcm import FcmClient
from consumers.push.models import PushDevice
from outbox.events import get_event_type
from tests.support.events import by_address


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


@pytest.fixture
def channel(fcm_server, account):
    channel = PushChannel(client=client_for(fcm_server, account))
    yield channel
    channel.close()


def event(event_type: str, **changes) -> InboundEvent:
    """The sample event, naming its people by address unless `changes` gives their user ids."""
    data = get_event_type(event_type).parse(by_address(event_type, **changes))
    now = datetime.now(timezone.utc)
    return InboundEvent(id=uuid.uuid4(), type=event_type, key=data.partition_key(), data=data,
                        headers={"ce_time": now.isoformat()}, emitted_at=now)


def user(email: str, **fields):
    return get_user_model().objects.create_user(email, email=email, **fields)


def device(owner, token: str, platform: str = "android") -> PushDevice:
    return PushDevice.objects.create(user=owner, token=token, platform=platform)
