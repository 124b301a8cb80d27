"""Capped exponential backoff with jitter (chesanto_comms/backoff.py): what the loops wait between tries."""
from __future__ import annotations

from chesanto_comms.backoff import Backoff


def test_each_failure_waits_about_twice_as_long_as_the_one_before_plus_at_most_a_second_of_jitter():
    backoff = Backoff(initial=0.2, maximum=100)
    delays = [backoff.next_delay() for _ in range(5)]
    for n, delay in enumerate(delays):
        assert 0.2 * 2 ** n <= delay <= 0.2 * 2 ** n + 1
    assert backoff.failures == 5


def test_the_wait_never_exceeds_the_maximum():
    backoff = Backoff(initial=0.2, maximum=10.0)
    delays = [backoff.next_delay() for _ in range(40)]
    assert max(delays) <= 10.0
    assert delays[-1] == 10.0  # 0.2 * 2**39 long since capped


def test_reset_starts_again_from_the_initial_wait():
    backoff = Backoff(initial=0.5, maximum=10.0)
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.failures == 0
    assert 0.5 <= backoff.next_delay() <= 1.5
    assert backoff.failures == 1
