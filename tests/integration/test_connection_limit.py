"""A provider that takes only so many connections at once (as Microsoft 365's SMTP AUTH takes 3 per
mailbox): the consumer's senders find the number by the refusal, keep to it, and every email arrives."""
from __future__ import annotations

import re

import pytest

from chesanto_comms.embedded.smtp import SmtpSink
from consumers.email.models import EmailLog
from outbox import emit
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIMIT = 3


@pytest.fixture
def three_connection_provider():
    with SmtpSink(max_connections=LIMIT, delay=0.05) as sink:
        yield sink


def test_the_senders_keep_to_the_connections_the_provider_takes(comms_env, three_connection_provider, unique_email):
    sink = three_connection_provider
    # Topics of its own: the refused email's copy on the retry topic would otherwise be read again by
    # later tests' new groups, beside its original, and sent twice.
    env = {**comms_env, "OUTBOX_TOPIC_PREFIX": comms_env["OUTBOX_TOPIC_PREFIX"] + "connection-limit.",
           "CONSUMER_GROUP_PREFIX": comms_env["CONSUMER_GROUP_PREFIX"] + "connection-limit-",
           "EMAIL_PORT": str(sink.port), "EMAIL_CONCURRENCY": "16"}
    relay, consumer = ManagedProcess("relay", env=env), ManagedProcess("consume", "email", env=env)
    try:
        wait_until(lambda: "reading" in consumer.log(), timeout=30, what="the consumer")
        addresses = [unique_email("limited") for _ in range(60)]
        for address in addresses:
            emit("auth.otp_requested", {"email": address, "name": "Wanjiru", "code": "246810"})
        wait_until(lambda: EmailLog.objects.filter(recipient__in=addresses, status="SENT").count() == 60,
                   timeout=90, what="60 emails sent")
        assert sorted(m.rcpt_tos[0] for m in sink.received if m.rcpt_tos[0] in addresses) == sorted(addresses)
        assert sink.refused_connections == 1  # it tried a fourth once (its first four), then kept to three ...
        assert sink.peak_connections == LIMIT  # ... and no more were ever open
        limits = [int(n) for n in re.findall(r"one too many; at most (\d+) from now on", consumer.log())]
        assert limits and limits[-1] <= LIMIT
        assert not EmailLog.objects.filter(recipient__in=addresses).exclude(status="SENT").exists()
    finally:
        assert [relay.stop(), consumer.stop()] == [0, 0]
