"""The fault-injection suite, bounded (a minute of load): every committed message reaches its provider
once, whatever breaks meanwhile (tests/support/fault_suite.py says what is broken and what is checked).
The long run is bench/fault_soak.py."""
from __future__ import annotations

import os

import pytest

from tests.integration.faults.conftest import own_env
from tests.support.fault_suite import FAULTS, Config, FaultSuite
from tests.support.services import proxied_kafka

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SECONDS = float(os.environ.get("FAULT_SUITE_SECONDS", "60"))  # bench/fault_soak.py runs it for longer
RATE = float(os.environ.get("FAULT_SUITE_RATE", "4"))  # transactions per second


def test_every_committed_message_reaches_its_provider_once_whatever_breaks(comms_env, kafka):
    with proxied_kafka(kafka.kind) as (proxy, kafka_env):
        suite = FaultSuite(Config(seconds=SECONDS, rate=RATE, settle=max(180.0, SECONDS / 2)),
                           own_env(comms_env, "suite"), proxy, kafka_env)
        report = suite.run()
    print("\n" + "\n".join(report.lines()))
    assert set(report.faults) == set(FAULTS), report.lines()  # every kind of fault happened
    assert report.committed > SECONDS * RATE / 3 and report.rolled_back > report.committed / 12
    assert report.clean, "\n".join(report.lines()) + "\n" + suite.logs()
