"""A channel scales by running more processes in its group; a stopped process hands over cleanly."""
from __future__ import annotations

import re
import signal

import pytest

from consumers.models import EmailLog
from outbox import emit
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def sent_by(process: ManagedProcess) -> set[str]:
    return set(re.findall(r"auth_otp sent to (\S+)", process.log()))


def test_two_consumer_processes_share_a_channel_and_hand_over(comms_env, smtp_sink, unique_email):
    env = {**comms_env, "CONSUMER_GROUP_PREFIX": comms_env["CONSUMER_GROUP_PREFIX"] + "scaling-"}
    relay = ManagedProcess("relay", env=env)
    first = ManagedProcess("consume", "email", env=env)
    second = ManagedProcess("consume", "email", env=env)
    try:
        wait_until(lambda: "reading" in first.log() and "reading" in second.log(), timeout=30, what="both consumers")
        addresses = [unique_email("shared") for _ in range(40)]
        for address in addresses:
            emit("auth.otp_requested", {"email": address, "name": "Shared", "code": "135790"})
        wait_until(lambda: EmailLog.objects.filter(recipient__in=addresses, status="SENT").count() == 40,
                   timeout=60, what="40 emails sent")
        assert sent_by(first) and sent_by(second), "both processes took a share of the partitions"
        assert sent_by(first).isdisjoint(sent_by(second))

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
