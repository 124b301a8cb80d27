"""The local Cloud API server (real HTTP on loopback), a client and events for the WhatsApp channel's tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from chesanto_comms.embedded.whatsapp import WhatsAppCloudServer
from consumers.events import InboundEvent
from consumers.whatsapp.client import CloudApiClient
from outbox.events import get_event_type
from outbox.events.samples import sample


@pytest.fixture
def cloud_server():
    with WhatsAppCloudServer() as server:
        yield server


def client_for(server: WhatsAppCloudServer, **overrides) -> CloudApiClient:
    options = dict(access_token=server.access_token, phone_number_id=server.phone_number_id, base_url=server.url,
                   version="v23.0", timeout=5.0, business_account_id=server.business_account_id)
    return CloudApiClient(**{**options, **overrides})


@pytest.fixture
def client(cloud_server):
    client = client_for(cloud_server)
    yield client
    client.close()


def event(event_type: str, emitted: datetime | None = None, **changes) -> InboundEvent:
    data = get_event_type(event_type).parse({**sample(event_type), **changes})
    emitted = emitted or datetime.now(timezone.utc)
    return InboundEvent(id=uuid.uuid4(), type=event_type, key=data.partition_key(), data=data,
                        headers={"ce_time": emitted.isoformat()}, emitted_at=emitted)
