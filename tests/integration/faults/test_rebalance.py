"""Consumers join and leave the group every few seconds while a slow provider keeps records queued in
them: the fence drops a revoked partition's queued records, the claims keep two processes from one row,
and every email arrives exactly once."""
from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter

import pytest

from chesanto_comms.embedded.smtp import SmtpSink
from consumers.email.models import EmailLog
from outbox import emit
from tests.integration.faults.conftest import own_env, started
from tests.support.fault_suite import assignments
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EVENTS = 150
CHANGES = 6  # joins and leaves while the events go out


def settled(consumers: list[ManagedProcess], before: dict[ManagedProcess, int], stopped: list[ManagedProcess]) -> None:
    """Wait for the rebalance a change started to end: every member assigned again (an eager group).

    One change at a time: Tansu's group coordinator, when a member leaves while a rebalance is under
    way, can leave the others without an assignment for minutes (tests/support/fault_suite.py); Apache
    Kafka expires such a member after session.timeout.ms. The records queued in the members still
    cross every rebalance, which is what this test is about."""
    try:
        wait_until(lambda: all(assignments(p) > before.get(p, 0) for p in consumers), timeout=60,
                   what="every consumer assigned partitions after the change")
    except AssertionError as stuck:
        raise AssertionError(f"{stuck}\n" + "\n".join(p.log()[-3000:] for p in [*consumers, *stopped])) from None


def test_consumers_joining_and_leaving_under_load_send_each_email_once(comms_env, unique_email):
    # A slow provider and few connections: each consumer holds a queue of records well past its revoke drain.
    with SmtpSink(delay=1.0) as sink:
        env = own_env(comms_env, "rebalance", EMAIL_PORT=str(sink.port), EMAIL_TIMEOUT="5", EMAIL_CONCURRENCY="4")
        relay = ManagedProcess("relay", env=env)
        consumers = [started(ManagedProcess("consume", "email", env=env)) for _ in range(2)]
        stopped: list[ManagedProcess] = []
        addresses = [unique_email("rebalance") for _ in range(EVENTS)]
        done = threading.Event()

        def load():
            for address in addresses:
                emit("auth.otp_requested", {"email": address, "name": "Kamau", "code": "4821"})
                time.sleep(0.15)
            done.set()

        emitter = threading.Thread(target=load)
        emitter.start()
        try:
            changes = Counter()
            rng = random.Random()
            for _ in range(CHANGES):
                time.sleep(rng.uniform(3, 6))
                before = {p: assignments(p) for p in consumers}
                if len(consumers) > 1 and (len(consumers) >= 3 or rng.random() < 0.5):
                    leaving = consumers.pop(rng.randrange(len(consumers)))
                    assert leaving.stop(signal.SIGTERM) == 0, leaving.log()
                    stopped.append(leaving)
                    changes["left"] += 1
                else:
                    consumers.append(ManagedProcess("consume", "email", env=env))
                    changes["joined"] += 1
                settled(consumers, before, stopped)
            emitter.join(60)
            assert done.is_set()
            rows = EmailLog.objects.filter(recipient__in=addresses)
            try:
                wait_until(lambda: rows.filter(status="SENT").count() == EVENTS, timeout=180, interval=0.5,
                           what=f"{EVENTS} emails sent")
            except AssertionError as stuck:
                statuses = Counter(rows.values_list("status", flat=True))
                raise AssertionError(f"{stuck}: rows {dict(statuses)} of {EVENTS}; "
                                     f"{len({r.rcpt_tos[0] for r in sink.received})} addresses received\n"
                                     + "\n".join(p.log()[-3000:] for p in [*consumers, *stopped])) from None
            time.sleep(3)  # a second copy of any would have arrived by now
            received = Counter(r.rcpt_tos[0] for r in sink.received if r.rcpt_tos[0] in set(addresses))
            duplicates = {address: n for address, n in received.items() if n > 1}
            print(f"{EVENTS} emails, {changes['joined']} joins and {changes['left']} leaves: "
                  f"{sum(received.values())} received, {len(duplicates)} duplicated")
            assert set(received) == set(addresses) and not duplicates
            assert not rows.exclude(status="SENT").exists()
        finally:
            emitter.join(60)
            codes = [process.stop() for process in consumers] + [relay.stop()]
            assert codes == [0] * len(codes), "\n".join(p.log()[-3000:] for p in consumers)
