"""The running pipeline: a real relay and a real email consumer, as `manage.py` processes."""
from __future__ import annotations

import pytest

from tests.support.kafka_reader import read_record
from tests.support.processes import ManagedProcess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pipeline(comms_env, smtp_sink, django_db_blocker):
    relay = ManagedProcess("relay", env=comms_env)
    consumer = ManagedProcess("consume", "email", env=comms_env)
    try:
        with django_db_blocker.unblock():
            _warm_up(smtp_sink)
        yield {"relay": relay, "consumer": consumer}
    finally:
        codes = {"relay": relay.stop(), "consumer": consumer.stop()}
        assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{relay.log()}\n{consumer.log()}"


def _warm_up(smtp_sink) -> None:
    """Wait until the consumer has joined its group and a first event went all the way through."""
    import uuid

    from outbox import emit

    address = f"warmup-{uuid.uuid4().hex[:8]}@example.com"
    emit("auth.otp_requested", {"email": address, "name": "Warm Up", "code": "000000"})
    smtp_sink.wait_for(lambda received: any(address in r.rcpt_tos for r in received), timeout=60)


@pytest.fixture
def kafka_record():
    return read_record
