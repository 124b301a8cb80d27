"""The running push pipeline: a real relay and a real `consume push`, as `manage.py` processes,
sending to a local server that speaks FCM HTTP v1 and issues the OAuth2 tokens google-auth asks
for with a service-account key made for it.

The pipeline has its own topic prefix, so consumers started by other modules (in their own
groups, reading from the earliest offset) never meet these records.
"""
from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from chesanto_comms.embedded.fcm import FcmServer
from tests.support.processes import ManagedProcess

pytestmark = pytest.mark.integration


@dataclass
class PushPipeline:
    server: FcmServer
    env: dict[str, str]
    relay: ManagedProcess
    consumer: ManagedProcess


@pytest.fixture(scope="module")
def push_pipeline(comms_env, django_db_blocker):
    with FcmServer() as server:
        key_file = Path(tempfile.mkdtemp(prefix="chesanto-push-")) / "firebase-service-account.json"
        key_file.write_text(json.dumps(server.service_account_info()))
        key_file.chmod(0o600)
        run = f"push-{uuid.uuid4().hex[:6]}"
        env = {
            **comms_env,
            "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
            "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-",
            "PUSH_SERVICE_ACCOUNT": str(key_file),
            "PUSH_API_URL": server.url,
            "PUSH_TIMEOUT": "5",
            "PUSH_RETRY_DELAY": "1",  # the schedule's first retry after 1 s: shorter than the Retry-After tested
        }
        relay = ManagedProcess("relay", env=env)
        consumer = ManagedProcess("consume", "push", env=env)
        try:
            with django_db_blocker.unblock():
                try:
                    _warm_up(server)
                except TimeoutError as exc:
                    raise AssertionError(f"{exc}\n--- relay ---\n{relay.log()}\n--- consume push ---\n{consumer.log()}") from None
            yield PushPipeline(server, env, relay, consumer)
        finally:
            codes = {"relay": relay.stop(), "consumer": consumer.stop()}
            assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{relay.log()}\n{consumer.log()}"


def _warm_up(server: FcmServer) -> None:
    """Wait until the consumer has joined its group and a first push went all the way through."""
    from outbox import emit
    from outbox.events.samples import sample

    owner, token = registered_device("warm-up")
    emit("auth.daily_entry_reminder", {**sample("auth.daily_entry_reminder"), "email": owner.email,
                                       "user_id": owner.pk})
    server.wait_for(lambda requests: bool(server.to(token)), timeout=60)


def registered_device(name: str, token: str | None = None, platform: str = "android"):
    """A user of the bakery's app with one registered device; (user, token)."""
    from django.contrib.auth import get_user_model

    from consumers.push.models import PushDevice

    suffix = uuid.uuid4().hex[:10]
    user = get_user_model().objects.create_user(f"{name}-{suffix}", email=f"{name}-{suffix}@chesanto.example")
    token = token or f"fcm-{name}-{suffix}:APA91b{uuid.uuid4().hex}"
    PushDevice.objects.create(user=user, token=token, platform=platform)
    return user, token
