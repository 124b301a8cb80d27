"""The local provider servers (real HTTP on loopback) and providers pointed at them."""
from __future__ import annotations

import pytest

from chesanto_comms.embedded.sms import AfricasTalkingServer, TwilioServer
from consumers.sms.providers.africastalking import AfricasTalkingProvider
from consumers.sms.providers.twilio import TwilioProvider


@pytest.fixture
def at_server():
    with AfricasTalkingServer(sender_ids={"CHESANTO"}) as server:
        yield server


@pytest.fixture
def twilio_server():
    with TwilioServer() as server:
        yield server


def provider_for(server, cls, **overrides):
    options = dict(api_key=server.api_key, username=server.username, sender_id="CHESANTO", base_url=server.url, timeout=5.0)
    return cls(**{**options, **overrides})


@pytest.fixture
def africastalking(at_server):
    provider = provider_for(at_server, AfricasTalkingProvider)
    yield provider
    provider.close()


@pytest.fixture
def twilio(twilio_server):
    provider = provider_for(twilio_server, TwilioProvider)
    yield provider
    provider.close()
