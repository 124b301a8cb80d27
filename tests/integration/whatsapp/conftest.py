"""The running WhatsApp pipeline: a real relay and a real `consume whatsapp`, as `manage.py`
processes, sending to a local server that speaks the Cloud API and posts its signed status
callbacks to this test session's live server (the real webhook endpoint, /webhooks/whatsapp/).

The pipeline has its own topic prefix, so consumers started by other modules never meet its records.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY

from chesanto_comms.embedded.whatsapp import WhatsAppCloudServer
from consumers.whatsapp.models import WhatsAppLog
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

OUTCOMES = ("applied", "duplicate", "unknown_message", "refused_unsigned", "refused_forged", "refused_replay")


@dataclass
class WhatsAppPipeline:
    server: WhatsAppCloudServer
    relay: ManagedProcess
    consumer: ManagedProcess
    env: dict[str, str]


def whatsapp_env(server: WhatsAppCloudServer) -> dict[str, str]:
    return {
        "WHATSAPP_ACCESS_TOKEN": server.access_token,
        "WHATSAPP_PHONE_NUMBER_ID": server.phone_number_id,
        "WHATSAPP_BUSINESS_ACCOUNT_ID": server.business_account_id,  # so `consume` checks the approvals
        "WHATSAPP_API_URL": server.url,
        "WHATSAPP_TIMEOUT": "5",
        "WHATSAPP_MAX_RETRIES": "3",
        "WHATSAPP_RETRY_DELAY": "1",  # retries after 1, 2 and 4 seconds
    }


@pytest.fixture(scope="module")
def whatsapp_pipeline(comms_env, live_server, django_db_blocker):
    from django.conf import settings

    with WhatsAppCloudServer(webhook_url=f"{live_server.url}/webhooks/whatsapp/") as server:
        run = f"whatsapp-{uuid.uuid4().hex[:6]}"
        env = {
            **comms_env,
            "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
            "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-",
            **whatsapp_env(server),
        }
        settings.WHATSAPP_APP_SECRET = server.app_secret  # the live server's webhook checks the signatures
        relay = ManagedProcess("relay", env=env)
        consumer = ManagedProcess("consume", "whatsapp", env=env)
        try:
            with django_db_blocker.unblock():
                try:
                    _warm_up(server)
                except (TimeoutError, AssertionError) as exc:
                    raise AssertionError(f"{exc}\n--- relay ---\n{relay.log()}\n--- consume whatsapp ---\n"
                                         f"{consumer.log()}") from None
            yield WhatsAppPipeline(server, relay, consumer, env)
        finally:
            del settings.WHATSAPP_APP_SECRET
            codes = {"relay": relay.stop(), "consumer": consumer.stop()}
            assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{relay.log()}\n{consumer.log()}"


def _warm_up(server: WhatsAppCloudServer) -> None:
    """Wait until the consumer has joined its group and a first message went all the way through."""
    from outbox import emit

    phone = random_phone()
    emit("auth.otp_requested", {"phone": phone, "code": "000000"})
    server.wait_for(lambda requests: bool(server.to(phone)), timeout=60)
    server.join()


@pytest.fixture(autouse=True)
def callbacks_settled(request):
    """A test's callbacks are all posted before it ends: none may meet the next test's emptied tables."""
    yield
    if "whatsapp_pipeline" in request.fixturenames:
        request.getfixturevalue("whatsapp_pipeline").server.join()


def random_phone() -> str:
    """A Kenyan mobile number outside the local server's scripted ranges (+254708…, +254709…)."""
    return f"+25471{random.randrange(10**7):07d}"


@pytest.fixture
def phone():
    return random_phone()


def final_log(event_id, phone: str | None = None, timeout: float = 30.0, status: str | None = None) -> WhatsAppLog:
    rows = WhatsAppLog.objects.filter(event_id=event_id)
    rows = rows.filter(status=status) if status else rows.filter(status__in=WhatsAppLog.FINAL)
    if phone:
        rows = rows.filter(phone_number=phone)
    return wait_until(rows.first, timeout=timeout, what=f"a {status or 'final'} WhatsAppLog for event {event_id}")


class Callbacks:
    """chesanto_webhook_callbacks_total{provider="whatsapp"}, as counted since the test began."""

    def __init__(self):
        self.start = {o: self.value(o) for o in OUTCOMES}

    @staticmethod
    def value(outcome: str) -> float:
        return REGISTRY.get_sample_value("chesanto_webhook_callbacks_total",
                                         {"provider": "whatsapp", "outcome": outcome}) or 0.0

    def since_start(self) -> dict[str, float]:
        return {o: n for o in OUTCOMES if (n := self.value(o) - self.start[o])}


@pytest.fixture
def callbacks() -> Callbacks:
    return Callbacks()
