"""A process's lease on the rows it claims: when it may start a provider call, when it may judge
another process gone, and the keys its threads reserve (consumers/claims.py)."""
from __future__ import annotations

import pytest

from consumers.claims import HEARTBEAT, ProcessLease, lease_seconds, new_token


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lease(clock) -> ProcessLease:
    lease = ProcessLease.for_role("email", provider_timeout=10.0)
    lease.clock = clock
    return lease


def test_the_lease_outlasts_two_provider_calls():
    assert lease_seconds(10.0) == 30.0
    assert lease_seconds(4.0) == 18.0


def test_tokens_say_what_and_where_and_are_unique():
    first, second = new_token("email"), new_token("email")
    assert first.startswith("email@") and first != second and len(first) <= 64


def test_no_send_before_the_first_heartbeat(lease):
    assert not lease.may_send()


def test_sends_stop_while_a_call_could_still_end_before_the_lease_lapses(lease, clock):
    lease.beat_taken(clock.now)
    window = lease.lease - lease.provider_timeout - 2 * HEARTBEAT  # 30 - 10 - 4 = 16 s
    clock.now += window - 0.1
    assert lease.may_send()
    clock.now += 0.2
    assert not lease.may_send()  # a call started now could outlive the lease as others see it
    lease.beat_taken(clock.now)  # the database is back
    assert lease.may_send()


def test_judging_others_waits_a_whole_lease_after_the_last_failed_heartbeat(lease, clock):
    lease.beat_taken(clock.now)
    assert not lease.may_judge()  # just started: every other process gets a lease to beat first
    clock.now += lease.lease
    assert lease.may_judge()
    lease.beat_failed()  # the database went away (for everyone, perhaps)
    assert not lease.may_judge()
    clock.now += 5
    lease.beat_taken(clock.now)
    clock.now += lease.lease - 1
    assert not lease.may_judge()
    clock.now += 1
    assert lease.may_judge()


def test_a_key_is_reserved_by_one_thread_at_a_time(lease):
    assert lease.reserve(["a", "b", "a"]) == [True, True, False]  # a duplicate in one batch, too
    assert lease.reserve(["b", "c"]) == [False, True]
    lease.release(["a", "b"])
    assert lease.reserve(["a", "b"]) == [True, True]
