"""Which process may send a log row: claims held by live processes (a lease per process).

Every process that delivers (`consume <channel>`, `replay`) registers a row in
`communications_delivery_process` under a token of its own and beats every HEARTBEAT seconds.
Before its provider is called, a log row is *claimed* in the same statement that records the
attempt (consumers/log_rows.py): `claimed`, `attempted_by` = the token, `attempted_at`, `attempts + 1`.
A claimed row is sent by its claimer only. Another process may take it over only once the claimer
is gone: stopped, or not seen for its lease. The row is then *interrupted*: its provider call may or
may not have happened, and the notification's rule decides what follows (consumers/notifications.py).

Within a process, the rows' keys are *reserved* before their rows are opened (`reserve`), so two of
its threads never open one row (a record read twice: a duplicate publish, or a partition handed back
while its first copy is still being sent); a row this process finds claimed by itself is then a
leftover of an opening the database cut short, and is claimed again.

Why a lease per process and not per row: one heartbeat per process instead of a renewal per row,
and a claim that lasts as long as its process lives, however long its batch waits for a sender.

Two rules keep a live process's send from overlapping another's:
- `may_send`: a process whose heartbeats fail stops *starting* provider calls while its lease still
  runs for longer than a call can take, so a call in progress has always ended before another
  process can judge its claimer gone (the lease is twice the provider timeout plus a margin).
- `may_judge`: a process judges others gone only once it has itself been seen for a whole lease
  since its own last failed heartbeat; after the database was away for everyone, every process
  gets that long to beat again before any is judged gone.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

log = logging.getLogger(__name__)

HEARTBEAT = 2.0  # seconds between a process's heartbeats
LEASE_MARGIN = 10.0  # seconds a lease lasts beyond twice the provider timeout


def lease_seconds(provider_timeout: float) -> float:
    """How long a process's claims outlive its last heartbeat: twice a provider call (a call may make
    a connect and a read, each bounded by the timeout) plus heartbeats and clock drift."""
    return 2 * provider_timeout + LEASE_MARGIN


def new_token(role: str) -> str:
    """`email@bakery-1:4182:1a2b3c`: what the process is, where it runs, and unique per start."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]


@dataclass
class ProcessLease:
    """This process's claim on the rows it sends; `start()` registers it and begins the heartbeats."""

    token: str
    role: str  # the channel, or "replay:<channel>"
    lease: float  # seconds
    provider_timeout: float
    clock = staticmethod(time.monotonic)

    def __post_init__(self):
        self._seen_at: float | None = None  # monotonic time of the last heartbeat the database took
        self._healthy_since: float | None = None  # ... of the first heartbeat after the last failed one
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reserved: set[Hashable] = set()
        self._reserving = threading.Lock()

    @classmethod
    def for_role(cls, role: str, provider_timeout: float) -> "ProcessLease":
        return cls(new_token(role), role, lease_seconds(provider_timeout), provider_timeout)

    # --- what the senders and the claims ask ------------------------------------------
    def may_send(self) -> bool:
        """Whether a provider call started now ends before another process may judge this one gone."""
        if self._seen_at is None:
            return False
        return self.clock() < self._seen_at + self.lease - self.provider_timeout - 2 * HEARTBEAT

    def may_judge(self) -> bool:
        """Whether this process has been seen long enough to tell that another one is gone."""
        return self._healthy_since is not None and self.clock() - self._healthy_since >= self.lease

    # --- within this process ---------------------------------------------------------------
    def reserve(self, keys: list[Hashable]) -> list[bool]:
        """Reserve message keys for one thread; False for each key already reserved (by another thread,
        or earlier in `keys`)."""
        with self._reserving:
            granted = []
            for key in keys:
                granted.append(key not in self._reserved)
                self._reserved.add(key)
            return granted

    def release(self, keys: Iterable[Hashable]) -> None:
        with self._reserving:
            self._reserved.difference_update(keys)

    # --- registration and heartbeats -----------------------------------------------------
    def start(self) -> "ProcessLease":
        """Register (waiting for the database as long as it takes, or until stopped), then beat in a thread."""
        from consumers.models import DeliveryProcess

        while not self._stop.is_set():
            try:
                now = timezone.now()
                started = self.clock()
                DeliveryProcess.objects.create(token=self.token, role=self.role, host=socket.gethostname()[:255],
                                               pid=os.getpid(), started_at=now, seen_at=now, lease_seconds=self.lease)
                self.beat_taken(started)
                break
            except DatabaseError as exc:
                log.warning("cannot register this process for its claims yet (%s); again in %.0fs", exc, HEARTBEAT)
                connection.close()
                self._stop.wait(HEARTBEAT)
        self._thread = threading.Thread(target=self._beat_forever, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating and say so, which frees this process's leftover claims at once."""
        from consumers.models import DeliveryProcess

        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            close_old_connections()
            DeliveryProcess.objects.filter(token=self.token).update(stopped_at=timezone.now())
        except DatabaseError as exc:  # its claims then lapse with its lease
            log.warning("could not mark this process stopped (%s); its claims lapse after %.0fs", exc, self.lease)

    def beat(self) -> bool:
        """One heartbeat; True if the database took it."""
        from consumers.models import DeliveryProcess

        started = self.clock()
        try:
            close_old_connections()
            DeliveryProcess.objects.filter(token=self.token).update(seen_at=timezone.now())
        except DatabaseError as exc:
            connection.close()
            if self._healthy_since is not None:
                log.warning("heartbeat failed (%s); no new sends after %.0fs without one", exc,
                            self.lease - self.provider_timeout - 2 * HEARTBEAT)
            self.beat_failed()
            return False
        self.beat_taken(started)
        return True

    def beat_taken(self, at: float) -> None:
        """The database took a heartbeat that started at `at` (monotonic): it was seen no earlier."""
        self._seen_at = at
        if self._healthy_since is None:
            self._healthy_since = at

    def beat_failed(self) -> None:
        self._healthy_since = None

    def _beat_forever(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT):
                self.beat()
        finally:
            connection.close()


class UnregisteredLease(ProcessLease):
    """The claims of a short-lived delivery inside another process (eager delivery in a project's
    tests): no process row, so other processes may judge its claims gone at once; it always may send."""

    def may_send(self) -> bool:
        return True

    def may_judge(self) -> bool:
        return True

    def start(self) -> "UnregisteredLease":
        return self

    def stop(self) -> None:
        pass
