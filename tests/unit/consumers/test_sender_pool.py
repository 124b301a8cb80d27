"""The senders' connection pool (consumers/sender_pool.py): starts small, grows while senders wait,
shrinks to what the provider accepted when it refuses one as too many, and holds there a while."""
from __future__ import annotations

import itertools
import threading

import pytest

from consumers.sender_pool import ChannelPool


class Provider:
    """Channel instances are numbers; what was made and closed is recorded."""

    def __init__(self):
        self.numbers = itertools.count(1)
        self.made: list[int] = []
        self.closed: list[int] = []

    def make(self) -> int:
        self.made.append(next(self.numbers))
        return self.made[-1]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider():
    return Provider()


@pytest.fixture
def clock():
    return Clock()


def pool_of(provider, clock, maximum=16, **kwargs) -> tuple[ChannelPool, list[int]]:
    limits: list[int] = []
    pool = ChannelPool(provider.make, provider.closed.append, maximum, clock=clock, hold=600, on_limit=limits.append,
                       **kwargs)
    return pool, limits


class Waiter:
    """A sender acquiring in a thread of its own (it may have to wait)."""

    def __init__(self, pool: ChannelPool):
        self.got: list[int] = []
        self.thread = threading.Thread(target=lambda: self.got.append(pool.acquire()), daemon=True)
        self.thread.start()

    def waiting(self) -> bool:
        self.thread.join(0.2)
        return self.thread.is_alive()

    def result(self) -> int:
        self.thread.join(5)
        assert not self.thread.is_alive(), "the waiting sender got no instance"
        return self.got[0]


def test_it_starts_with_four_and_a_fifth_sender_waits(provider, clock):
    pool, limits = pool_of(provider, clock)
    held = [pool.acquire() for _ in range(4)]
    assert held == [1, 2, 3, 4] and limits == [4]
    fifth = Waiter(pool)
    assert fifth.waiting()
    pool.release(held[0])
    assert fifth.result() == 1  # the one given back
    assert pool.limit == 5 and limits == [4, 5]  # and room for one more, as a sender was waiting


def test_it_doubles_each_round_while_senders_wait_up_to_the_maximum(provider, clock):
    pool, _ = pool_of(provider, clock, maximum=10)
    for _ in range(5):  # rounds of: every sender busy, more waiting, all given back
        held = [pool.acquire() for _ in range(pool.limit)]
        waiters = [Waiter(pool) for _ in range(len(held))]
        assert all(waiter.waiting() for waiter in waiters) or pool.limit == 10
        for channel in held:
            pool.release(channel)
        for channel in [waiter.result() for waiter in waiters]:
            pool.release(channel)
    assert pool.limit == 10 and len(provider.made) == 10  # never more instances than the maximum


def test_without_waiting_senders_it_does_not_grow(provider, clock):
    pool, _ = pool_of(provider, clock)
    for _ in range(100):
        pool.release(pool.acquire())
    assert pool.limit == 4 and provider.made == [1]  # one sender at a time needs one connection


def test_a_refusal_as_too_many_drops_to_those_open_and_holds(provider, clock):
    pool, limits = pool_of(provider, clock)
    held = [pool.acquire() for _ in range(4)]
    pool.release(held[3], crowded=True)  # the provider took three and refused the fourth
    assert provider.closed == [4] and pool.limit == 3 and pool.open == 3 and limits[-1] == 3
    fourth = Waiter(pool)
    assert fourth.waiting()
    pool.release(held[0])
    assert fourth.result() == 1 and pool.limit == 3  # a sender waits, but the limit holds
    clock.now += 601
    extra = Waiter(pool)
    assert extra.waiting()
    pool.release(held[1])
    assert extra.result() == 2 and pool.limit == 4  # after the hold it tries one more


def test_instances_over_a_lowered_limit_are_closed_as_they_come_back(provider, clock):
    pool, _ = pool_of(provider, clock)
    held = [pool.acquire() for _ in range(4)]
    pool.release(held[0], crowded=True)
    pool.release(held[1], crowded=True)  # two refused at once: two remain
    assert pool.limit == 2 and pool.open == 2
    pool.release(held[2])
    pool.release(held[3])
    assert sorted(provider.closed) == [1, 2] and pool.open == 2
    pool.close()
    assert sorted(provider.closed) == [1, 2, 3, 4] and pool.open == 0


def test_the_limit_never_drops_below_one(provider, clock):
    pool, _ = pool_of(provider, clock)
    pool.release(pool.acquire(), crowded=True)
    assert pool.limit == 1
    assert pool.acquire() == 2  # the next sender still gets a connection to try


def test_an_instance_that_cannot_be_made_frees_its_place(provider, clock):
    def broken():
        raise RuntimeError("no provider client")

    pool = ChannelPool(broken, provider.closed.append, 2, clock=clock)
    for _ in range(3):  # more than the limit: each failure gave its place back
        with pytest.raises(RuntimeError):
            pool.acquire()
    assert pool.open == 0


def test_the_maximum_caps_the_start(provider, clock):
    pool, limits = pool_of(provider, clock, maximum=2)
    assert pool.limit == 2 and limits == [2]
