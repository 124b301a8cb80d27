"""A channel scales by running more processes in its group; a stopped process hands over cleanly, with
each way a group can assign partitions: eager (librdkafka's default), cooperative-sticky, and the
KIP-848 consumer protocol where the broker has it (Apache Kafka 4; not Tansu)."""
from __future__ import annotations

import re
import signal

import pytest

from consumers.email.models import EmailLog
from outbox import emit
from tests.support.processes import ManagedProcess
from tests.support.services import broker_has_consumer_protocol
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


ASSIGNED = re.compile(r"email consumer assigned [1-9]\d* partitions")


def sent_by(process: ManagedProcess) -> set[str]:
    return set(re.findall(r"auth_otp sent to (\S+)", process.log()))


# Client settings per way of assigning. With the consumer protocol the heartbeat and session timeout are
# the broker's (group.consumer.*): librdkafka refuses to create a consumer that sets its own.
ASSIGNMENTS = {
    "eager": {},
    "cooperative-sticky": {"KAFKA_PARTITION_ASSIGNMENT_STRATEGY": "cooperative-sticky"},
    "consumer-protocol": {"KAFKA_GROUP_PROTOCOL": "consumer"},
}


def pytest_generate_tests(metafunc):
    if "assignment" in metafunc.fixturenames:
        ways = [w for w in ASSIGNMENTS if w != "consumer-protocol" or broker_has_consumer_protocol()]
        metafunc.parametrize("assignment", ways)


def test_two_consumer_processes_share_a_channel_and_hand_over(comms_env, smtp_sink, unique_email, assignment):
    env = {**comms_env, **ASSIGNMENTS[assignment],
           "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}scaling-{assignment}-"}
    if assignment == "consumer-protocol":
        env = {k: v for k, v in env.items() if k not in ("KAFKA_HEARTBEAT_INTERVAL_MS", "KAFKA_SESSION_TIMEOUT_MS")}
    relay = ManagedProcess("relay", env=env)
    first = ManagedProcess("consume", "email", env=env)
    second = ManagedProcess("consume", "email", env=env)
    try:
        wait_until(lambda: all(ASSIGNED.search(p.log()) for p in (first, second)), timeout=30,
                   what="both consumers assigned partitions")
        addresses = [unique_email("shared") for _ in range(40)]
        for address in addresses:
            emit("auth.otp_requested", {"email": address, "name": "Shared", "code": "135790"})
        wait_until(lambda: EmailLog.objects.filter(recipient__in=addresses, status="SENT").count() == 40,
                   timeout=60, what="40 emails sent")
        assert set(addresses) <= sent_by(first) | sent_by(second) and sent_by(first).isdisjoint(sent_by(second))
        if assignment == "eager":  # range gives each member a share of every topic; the others balance the
            assert sent_by(first) and sent_by(second)  # count over all topics, so auth's may sit on one member

        # One process stops (SIGTERM: finishes in-flight sends, commits, leaves the group);
        # the other takes its partitions and nothing is sent twice or lost.
        assert first.stop(signal.SIGTERM) == 0, first.log()
        later = [unique_email("handover") for _ in range(20)]
        for address in later:
            emit("auth.otp_requested", {"email": address, "name": "Later", "code": "246801"})
        wait_until(lambda: EmailLog.objects.filter(recipient__in=later, status="SENT").count() == 20,
                   timeout=60, what="20 emails after the hand-over")
        for address in addresses + later:
            assert len(smtp_sink.to(address)) == 1, address
        assert set(later) <= sent_by(second)
    finally:
        codes = [p.stop() for p in (relay, first, second)]
    assert codes == [0, 0, 0]
