"""The database connection of a consumer is terminated while its sends are in flight: the sends'
results are kept and only the writes after them are tried again, so nothing is sent twice."""
from __future__ import annotations

import time

import pytest
from django.db import transaction

from chesanto_comms.embedded.smtp import SmtpSink
from consumers.email.models import EmailLog
from outbox import emit
from tests.integration.faults.conftest import keys_in_lanes, own_env, started, terminate_connections
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_connections_terminated_mid_send_send_each_email_once(comms_env, unique_email):
    with SmtpSink(delay=2.0) as sink:  # a provider taking 2 s per message: the sends are in flight for that long
        env = own_env(comms_env, "blip", EMAIL_PORT=str(sink.port))
        relay, consumer = ManagedProcess("relay", env=env), started(ManagedProcess("consume", "email", env=env))
        try:
            warm_up = unique_email("warm-up")
            emit("auth.otp_requested", {"email": warm_up, "name": "Warm Up", "code": "1234"})
            sink.wait_for(lambda received: any(warm_up in r.rcpt_tos for r in received), timeout=60)

            addresses = [unique_email("blip") for _ in range(3)]
            keys = [key for lane in range(3) for key in keys_in_lanes([lane], 1)]  # all three in flight at once
            with transaction.atomic():
                for address, key in zip(addresses, keys):
                    emit("auth.otp_requested", {"email": address, "name": "Achieng", "code": "4821"}, key=key)
            rows = EmailLog.objects.filter(recipient__in=addresses)
            wait_until(lambda: rows.filter(status="PENDING", claimed=True).count() == 3, timeout=30, interval=0.02,
                       what="the three sends to be in flight")
            assert terminate_connections("chesanto-consume email") >= 1  # the lanes', the heartbeat's

            wait_until(lambda: rows.filter(status="SENT").count() == 3, timeout=60, what="three rows SENT")
            time.sleep(3)  # a second delivery would have reached the sink by now
            received = [r.rcpt_tos[0] for r in sink.received if r.rcpt_tos[0] in addresses]
            assert sorted(received) == sorted(addresses), consumer.log()
            assert all((row.retry_count, row.attempts, row.claimed) == (0, 1, False) for row in rows)
        finally:
            assert [relay.stop(), consumer.stop()] == [0, 0], consumer.log()
