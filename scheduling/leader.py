"""One scheduler leads: the one holding a PostgreSQL advisory lock on a connection of its own.

The lock lives in that connection's session. A leader that is SIGKILLed (or whose host dies) loses
its session, PostgreSQL releases the lock, and a follower's next try (every SCHEDULER_LEADER_RETRY
seconds) takes it. Keepalives bound how long a leader cut off by the network keeps it.
"""
from __future__ import annotations

import logging
import os
import socket

import psycopg
from psycopg.conninfo import make_conninfo

from relay.db import conninfo

log = logging.getLogger(__name__)

LOCK_SPACE, LOCK_KEY = 0x73636864, 1  # ("schd", 1): apart from the relay's shard locks ("outb", shard)
APPLICATION_NAME = "chesanto-scheduler"


def application_name() -> str:
    """pg_stat_activity shows the leader's lock session under this name (host and process id)."""
    return f"{APPLICATION_NAME} {socket.gethostname()}:{os.getpid()}"[:63]


class Leadership:
    def __init__(self):
        self._conn: psycopg.Connection | None = None
        self.leading = False

    def try_to_lead(self) -> bool:
        """Take the lock if it is free; True while we hold it. A lost connection means we lead no more."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(make_conninfo(conninfo(), application_name=application_name()),
                                             autocommit=True, connect_timeout=5)
                self.leading = False
            if self.leading:
                self._conn.execute("SELECT 1")  # still connected: the lock is still ours
            else:
                self.leading = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                                  (LOCK_SPACE, LOCK_KEY)).fetchone()[0]
                if self.leading:
                    log.info("scheduler leads (advisory lock taken)")
        except psycopg.Error as exc:
            if self.leading:
                log.warning("scheduler lost its lock connection (%s); no longer leading", exc)
            self.close()
        return self.leading

    def close(self) -> None:
        self.leading = False
        if self._conn is not None:
            self._conn.close()  # ends the session: the lock is released
            self._conn = None
