"""The running SMS pipeline: a real relay and a real `consume sms`, as `manage.py` processes,
sending to a local server that speaks the provider's API. Parametrised by provider, so each
test module that uses `sms_pipeline` runs once per provider.

The pipeline has its own topic prefix, so email consumers started by other modules (in
their own groups, reading from the earliest offset) never meet these records.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import pytest

from chesanto_comms.embedded.sms import AfricasTalkingServer, ProviderApiServer, TwilioServer
from tests.support.processes import ManagedProcess

pytestmark = pytest.mark.integration

SERVERS = {
    "africastalking": lambda: AfricasTalkingServer(sender_ids={"CHESANTO"}),
    "twilio": lambda: TwilioServer(price="-0.0500"),  # priced at once here, to see the cost travel
}


@dataclass
class SmsPipeline:
    provider: str
    server: ProviderApiServer
    relay: ManagedProcess
    consumer: ManagedProcess


@pytest.fixture(scope="module", params=sorted(SERVERS))
def sms_pipeline(request, comms_env, django_db_blocker):
    provider = request.param
    with SERVERS[provider]() as server:
        run = f"sms-{provider}-{uuid.uuid4().hex[:6]}"
        env = {
            **comms_env,
            "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
            "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-",
            "SMS_PROVIDER": provider,
            "SMS_API_URL": server.url,
            "SMS_API_KEY": server.api_key,
            "SMS_USERNAME": server.username,
            "SMS_SENDER_ID": "CHESANTO",
            "SMS_TIMEOUT": "5",
        }
        relay = ManagedProcess("relay", env=env)
        consumer = ManagedProcess("consume", "sms", env=env)
        try:
            with django_db_blocker.unblock():
                try:
                    _warm_up(server)
                except TimeoutError as exc:
                    raise AssertionError(f"{exc}\n--- relay ---\n{relay.log()}\n--- consume sms ---\n{consumer.log()}") from None
            yield SmsPipeline(provider, server, relay, consumer)
        finally:
            codes = {"relay": relay.stop(), "consumer": consumer.stop()}
            assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{relay.log()}\n{consumer.log()}"


def _warm_up(server: ProviderApiServer) -> None:
    """Wait until the consumer has joined its group and a first SMS went all the way through."""
    from outbox.facade import SMSService

    phone = random_phone()
    SMSService.send_otp(phone, "000000")
    server.wait_for(lambda requests: bool(server.to(phone)), timeout=60)


def random_phone() -> str:
    """A Kenyan mobile number outside the local servers' scripted ranges (+2547000...)."""
    return f"+25471{random.randrange(10**7):07d}"


@pytest.fixture
def phone():
    return random_phone()
