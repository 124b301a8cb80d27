"""Wake-ups for the live streams: one LISTEN connection per process, shared by all its streams.

A thread of its own, started by the first stream, LISTENs on the feed's NOTIFY channel and, for
each notification (its payload is a user's id), wakes that user's open streams. A stream holds no
database connection while it waits: an open page costs the web server a thread, and PostgreSQL
nothing, however many pages are open.

    subscribe(user_id)   registers a stream, then returns once the connection LISTENs: an item
                         committed after that wakes it, so a stream subscribes before it reads
    wait(timeout)        True when woken, False after `timeout`; raises ListenerLost when the
                         connection was lost, Replaced when this is the user's oldest stream and
                         they opened more than INBOX_SSE_MAX_PER_USER in this process
    close()              unregisters (a stream's `finally`)

When the connection fails, every stream subscribed then is told (a NOTIFY sent while nobody
listened is lost for good, so a stream cannot just carry on: it ends, and the browser reconnects
and resumes after its Last-Event-ID). The thread connects again for the next stream that
subscribes, at most once per RECONNECT_DELAY. With no stream left for IDLE_CLOSE seconds it
closes the connection and ends, so a process that serves no inbox page holds none.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import psycopg
from django.db import Error as DjangoDatabaseError
from django.db import connections, router

from consumers.inbox.feed import NOTIFY_CHANNEL
from consumers.inbox.models import InboxItem

log = logging.getLogger(__name__)

APPLICATION_NAME = "chesanto-inbox-stream"  # what pg_stat_activity shows for a process's LISTEN connection
CONNECT_TIMEOUT = 5  # seconds a stream waits for the connection to LISTEN (and the connect's own timeout)
RECONNECT_DELAY = 1.0  # seconds between two connection attempts
IDLE_CLOSE = 30.0  # seconds without a stream before the connection is closed
POLL = 1.0  # seconds between the thread's looks at whether it is still needed
# A database that is away: psycopg's errors on the connection, Django's from its connect.
DATABASE_ERRORS = (psycopg.Error, DjangoDatabaseError)


class ListenerLost(Exception):
    """The process's LISTEN connection is gone, or could not be made; the message says why."""


class Replaced(Exception):
    """The user opened more streams than INBOX_SSE_MAX_PER_USER in this process: their oldest ends."""


class Subscription:
    """One stream's place among the waiting: woken for its user, or ended."""

    def __init__(self, hub: Wakeups, user_id: str):
        self.hub, self.user_id = hub, user_id
        self.ended: Exception | None = None
        self._woken = threading.Event()

    def wait(self, timeout: float) -> bool:
        """Whether the user's feed was notified within `timeout` seconds (since the last wait)."""
        woken = self._woken.wait(max(timeout, 0))
        if woken:  # cleared before the stream reads: a notify after this wakes the next wait. Never
            self._woken.clear()  # after a timeout: a wake-up just then would be lost, its item unsent
        if self.ended is not None:
            raise self.ended
        return woken

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def _wake(self) -> None:
        self._woken.set()

    def _end(self, reason: Exception) -> None:
        self.ended = reason  # before the wake: a woken wait() finds it
        self._woken.set()


class Wakeups:
    """The process's LISTEN connection and the streams waiting on it, by user."""

    def __init__(self, connect: Callable[[], object] | None = None, idle_close: float = IDLE_CLOSE,
                 reconnect_delay: float = RECONNECT_DELAY, poll: float = POLL):
        self._connect = connect or listen_connection
        self.idle_close, self.reconnect_delay, self.poll = idle_close, reconnect_delay, poll
        self._state = threading.Condition()
        self._waiting: dict[str, list[Subscription]] = {}  # user id (the NOTIFY payload) -> streams, oldest first
        self._listening = False
        self._thread: threading.Thread | None = None
        self._last_attempt = float("-inf")

    def subscribe(self, user_id: int, max_per_user: int, timeout: float = CONNECT_TIMEOUT) -> Subscription:
        subscription = Subscription(self, str(user_id))
        with self._state:
            mine = self._waiting.setdefault(subscription.user_id, [])
            mine.append(subscription)
            while len(mine) > max_per_user:
                mine.pop(0)._end(Replaced(f"more than INBOX_SSE_MAX_PER_USER={max_per_user} live streams of this "
                                          "user are open: this one, their oldest, ends"))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inbox-wakeups", daemon=True)
                self._thread.start()
            self._state.wait_for(lambda: self._listening or subscription.ended is not None, timeout)
            if subscription.ended is None and not self._listening:
                subscription._end(ListenerLost(f"no LISTEN connection within {timeout:g}s"))
        if subscription.ended is not None:
            self.unsubscribe(subscription)
            raise subscription.ended
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._state:
            mine = self._waiting.get(subscription.user_id, [])
            if subscription in mine:
                mine.remove(subscription)
            if not mine:
                self._waiting.pop(subscription.user_id, None)

    def streams(self, user_id: int | None = None) -> int:
        """How many streams wait (the user's, or everyone's)."""
        with self._state:
            if user_id is not None:
                return len(self._waiting.get(str(user_id), []))
            return sum(len(mine) for mine in self._waiting.values())

    def join(self, timeout: float) -> bool:
        """Wait until the thread has ended (no stream waits and the connection is closed); whether it has."""
        with self._state:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    # --- the thread ---------------------------------------------------------------
    def _run(self) -> None:
        while self._needed():
            time.sleep(max(0.0, self._last_attempt + self.reconnect_delay - time.monotonic()))
            self._last_attempt = time.monotonic()
            try:
                wrapper = self._connect()
                wrapper.connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            except DATABASE_ERRORS as exc:
                self._lose(f"cannot LISTEN: {exc}")
                continue
            try:
                with self._state:
                    self._listening = True
                    self._state.notify_all()
                self._dispatch(wrapper.connection)
            except DATABASE_ERRORS as exc:
                self._lose(f"the LISTEN connection was lost: {exc}")
            finally:
                _close_quietly(wrapper)

    def _needed(self) -> bool:
        """Whether a stream waits; if none does, the thread is done (a new stream starts another)."""
        with self._state:
            if not self._waiting:
                self._thread, self._listening = None, False
            return self._thread is not None

    def _dispatch(self, conn: psycopg.Connection) -> None:
        """Wake the streams of each notified user; return once no stream has waited for IDLE_CLOSE seconds."""
        idle_since: float | None = None
        while True:
            for notify in conn.notifies(timeout=self.poll):
                with self._state:
                    for subscription in self._waiting.get(notify.payload, ()):
                        subscription._wake()
            with self._state:
                if self._waiting:
                    idle_since = None
                    continue
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= self.idle_close:
                    self._listening = False
                    return

    def _lose(self, reason: str) -> None:
        with self._state:
            waiting = [subscription for mine in self._waiting.values() for subscription in mine]
            self._waiting.clear()
            self._listening = False
            for subscription in waiting:
                subscription._end(ListenerLost(reason))
            self._state.notify_all()
        log.warning("inbox streams: %s; %d open streams end (their browsers reconnect)", reason, len(waiting))


def listen_connection():
    """A new connection from the project's own database settings, never from a pool: it keeps its LISTEN."""
    wrapper = connections.create_connection(router.db_for_read(InboxItem))
    options = {k: v for k, v in wrapper.settings_dict.get("OPTIONS", {}).items() if k != "pool"}
    wrapper.settings_dict = {**wrapper.settings_dict, "OPTIONS": {
        "connect_timeout": CONNECT_TIMEOUT, "application_name": f"{APPLICATION_NAME} pid {os.getpid()}",
        # A server that vanished without closing the socket is noticed within about a minute.
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3, **options}}
    wrapper.ensure_connection()
    return wrapper


def _close_quietly(wrapper) -> None:
    try:
        wrapper.close()
    except DATABASE_ERRORS:
        pass  # the connection was already broken: nothing left to close


_process_wakeups: Wakeups | None = None
_created = threading.Lock()


def wakeups() -> Wakeups:
    """This process's Wakeups (made on first use: in a forked web worker, after the fork)."""
    global _process_wakeups
    with _created:
        if _process_wakeups is None:
            _process_wakeups = Wakeups()
        return _process_wakeups


def subscribe(user_id: int) -> Subscription:
    from consumers.inbox.settings import inbox_settings

    return wakeups().subscribe(user_id, inbox_settings.INBOX_SSE_MAX_PER_USER)
