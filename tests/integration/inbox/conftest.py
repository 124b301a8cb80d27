"""The running inbox pipeline: a real relay and a real `consume inbox`, as `manage.py` processes,
shared by the package's modules (the API, the stream and the browser tests use it too).

It has its own topic prefix and group prefix, so consumers started by other modules never meet
these records.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from consumers.inbox.models import InboxItem
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@dataclass
class InboxPipeline:
    env: dict[str, str]
    relay: ManagedProcess
    consumer: ManagedProcess

    def logs(self) -> str:
        return f"--- relay ---\n{self.relay.log()}\n--- consume inbox ---\n{self.consumer.log()}"


@pytest.fixture(scope="package")
def inbox_pipeline(comms_env, django_db_blocker):
    run = f"inbox-{uuid.uuid4().hex[:6]}"
    env = {
        **comms_env,
        "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
        "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-",
        "INBOX_RETRY_DELAY": "1",
    }
    relay = ManagedProcess("relay", env=env)
    consumer = ManagedProcess("consume", "inbox", env=env)
    pipeline = InboxPipeline(env, relay, consumer)
    try:
        with django_db_blocker.unblock():
            try:
                _warm_up()
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{pipeline.logs()}") from None
        yield pipeline
    finally:
        codes = {"relay": relay.stop(), "consumer": consumer.stop()}
        assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{pipeline.logs()}"


def _warm_up() -> None:
    """Wait until the consumer has joined its group and a first item went all the way through."""
    from outbox import emit
    from outbox.events.samples import sample

    address = f"warmup-{uuid.uuid4().hex[:8]}@example.com"
    user = get_user_model().objects.create_user(address, address)
    event_id = emit("auth.account_approved", {**sample("auth.account_approved"), "email": address, "user_id": user.pk})
    wait_until(InboxItem.objects.filter(event_id=event_id, status="SENT").exists, timeout=60,
               what="the warm-up event's inbox item")


@pytest.fixture
def user_with_address():
    def make(prefix: str = "user", **fields):
        address = f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"
        return get_user_model().objects.create_user(address, address, **fields)
    return make


def item_for(event_id, timeout: float = 30.0, **filters) -> InboxItem:
    return wait_until(InboxItem.objects.filter(event_id=event_id, status__in=InboxItem.FINAL, **filters).first,
                      timeout=timeout, what=f"a final inbox item for event {event_id}")
