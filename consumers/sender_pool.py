"""The provider connections a consumer's senders share: as many as the provider takes, found out by sending.

A sender borrows a channel instance (one provider connection) for a task and gives it back. How many
instances may exist at once, the *limit*, starts at START and grows by one whenever an instance comes
back while a sender is waiting for one (so it doubles each round of sends while there is more work than
connections, as TCP's slow start does), up to the channel's `<PREFIX>_CONCURRENCY`. When the provider
refuses a connection as one too many (`TransientError.crowded`: an SMTP server's 421 on connecting, or
Microsoft 365's 432 4.3.2), that instance is closed, the limit drops to the connections still open, and
it stays there for HOLD seconds before it may grow again. The refused message is retried as any
transient failure is.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

START = 4  # connections before any has been refused or waited for: a mailbox-based provider's 3 is near
HOLD = 600.0  # seconds a refusal's limit holds before the pool tries one more connection

C = TypeVar("C")


class ChannelPool(Generic[C]):
    def __init__(self, factory: Callable[[], C], close: Callable[[C], None], maximum: int, *,
                 start: int = START, hold: float = HOLD, clock: Callable[[], float] = time.monotonic,
                 on_limit: Callable[[int], None] = lambda limit: None):
        self._factory, self._close = factory, close
        self.maximum = maximum
        self.limit = min(start, maximum)
        self._hold, self._clock, self._on_limit = hold, clock, on_limit
        self._free: list[C] = []  # idle instances, the most recently used last (it is taken first)
        self._open = 0  # instances that exist: idle, in use, or being created
        self._waiting = 0
        self._held_until = float("-inf")
        self._changed = threading.Condition()
        on_limit(self.limit)

    @property
    def open(self) -> int:
        return self._open

    def acquire(self) -> C:
        """An idle instance, or a new one while under the limit; else wait for one to come back."""
        with self._changed:
            while not self._free and self._open >= self.limit:
                self._waiting += 1
                try:
                    self._changed.wait()
                finally:
                    self._waiting -= 1
            if self._free:
                return self._free.pop()
            self._open += 1
        try:
            return self._factory()
        except BaseException:
            self._discard()
            raise

    def release(self, channel: C, *, crowded: bool = False) -> None:
        """Give an instance back; `crowded`: the provider refused its connection as one too many."""
        with self._changed:
            if crowded:
                self._open -= 1
                self._set_limit(max(1, self._open))
                self._held_until = self._clock() + self._hold
                log.warning("the provider refused a connection as one too many; at most %d from now on "
                            "(tried again in %.0f s)", self.limit, self._hold)
            elif self._open > self.limit:  # the limit dropped while it was in use
                self._open -= 1
            else:
                self._free.append(channel)
                channel = None
                if self._waiting and self.limit < self.maximum and self._clock() >= self._held_until:
                    self._set_limit(self.limit + 1)
                self._changed.notify(2)  # one takes the instance given back, one the room a raised limit made
        if channel is not None:
            self._close(channel)

    def close(self) -> None:
        """Close every idle instance (at shutdown, after the senders stopped)."""
        with self._changed:
            idle, self._free = self._free, []
            self._open -= len(idle)
        for channel in idle:
            self._close(channel)

    def _set_limit(self, limit: int) -> None:
        self.limit = limit
        self._on_limit(limit)

    def _discard(self) -> None:
        with self._changed:
            self._open -= 1
            self._changed.notify()
