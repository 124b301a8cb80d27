"""A record on a retry topic that is not ours — unsigned while OUTBOX_SIGNING_KEY is set, or due in the
year 2100 — is dead-lettered before the consumer would wait for it: it never pauses its partition, and
a real retry behind it is delivered on time."""
from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import Producer

from chesanto_comms.kafka import client_properties, producer_properties
from consumers.email.models import EmailLog
from consumers.models import DeadLetter
from outbox import emit
from tests.integration.faults.conftest import own_env, started
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

YEAR_2100_MS = 4102444800000


def forge_retry_records(topic: str) -> list[str]:
    """One record per partition of the retry topic, claiming to be a retry due in 2100; their event ids."""
    producer = Producer(producer_properties(client_properties()))
    partitions = producer.list_topics(topic, timeout=10).topics[topic].partitions
    ids = []
    for partition in partitions:
        ids.append(str(uuid.uuid4()))
        producer.produce(topic, json.dumps({"email": "victim@example.com", "code": {"$sealed": "x"}}).encode(),
                         b"victim@example.com", partition=partition, headers=[
                             ("ce_id", ids[-1].encode()), ("ce_type", b"auth.otp_requested"),
                             ("ce_specversion", b"1.0"), ("x-retry-attempt", b"1"),
                             ("x-retry-not-before-ms", str(YEAR_2100_MS).encode()),
                             ("x-retry-source", f"{topic}:0:0".encode()), ("x-retry-reason", b"forged")])
    assert producer.flush(15) == 0
    return ids


@pytest.mark.parametrize("signed", [True, False], ids=["signing-key-set", "no-signing-key"])
def test_a_forged_retry_record_is_dead_lettered_and_never_stalls_a_retry(comms_env, unique_email, signed):
    env = own_env(comms_env, "forged", **({"OUTBOX_SIGNING_KEY": "retry-test-signing-key"} if signed else {}))
    relay, consumer = ManagedProcess("relay", env=env), started(ManagedProcess("consume", "email", env=env))
    try:
        forged = forge_retry_records(f"{env['OUTBOX_TOPIC_PREFIX']}retry.email")
        wait_until(lambda: DeadLetter.objects.filter(event_id__in=forged).count() == len(forged), timeout=60,
                   what="every forged record dead-lettered")
        errors = set(DeadLetter.objects.filter(event_id__in=forged).values_list("error", flat=True))
        expected = "unsigned record" if signed else "no retry waits longer than"
        assert all(expected in error for error in errors), errors

        victim = unique_email("victim", domain="flaky.example")  # deferred (451) twice: two retries
        event_id = emit("auth.otp_requested", {"email": victim, "name": "Otieno", "code": "4821"})
        row = wait_until(lambda: EmailLog.objects.filter(event_id=event_id, status="SENT").first(), timeout=60,
                         what="the retried email sent (its retry partition not stalled)")
        assert row.retry_count == 2
    finally:
        assert [relay.stop(), consumer.stop()] == [0, 0], consumer.log()
