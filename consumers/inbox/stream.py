"""The live stream: server-sent events for one user, woken by PostgreSQL NOTIFY (no broker).

    retry: 3000                              the reconnect delay the browser should use
    id: 1093                                 one `notification` event per new item, oldest first;
    event: notification                      its id is the item's feed number, so a browser that
    data: {"id": 1093, "title": …}           reconnects sends it back as Last-Event-ID
    event: unread                            the unread count, after each batch (no id: it does
    data: {"unread_count": 3}                not move the resume point)
    : keep-alive                             every INBOX_SSE_HEARTBEAT seconds

A stream LISTENs on its own connection before it reads the feed, so an item committed between
the read and the first wait is announced, not lost; on (re)connect it first sends what is newer
than Last-Event-ID. It ends after INBOX_SSE_MAX_SECONDS (the browser reconnects, and its session
is checked again), when the database goes away, or when the client has gone: the keep-alive is
the write that fails then, so a gone client is noticed within one heartbeat and the server
closes this generator, which closes the connection.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
from django.db import Error as DjangoDatabaseError
from django.db import connections, router

from consumers.inbox import feed
from consumers.inbox.models import InboxItem

log = logging.getLogger(__name__)

BATCH = 100  # items per query when catching up
# A database that is away: raw psycopg errors from the LISTEN connection, Django's from the ORM and the connect.
DATABASE_ERRORS = (psycopg.Error, DjangoDatabaseError)
CONNECT_TIMEOUT = 5  # seconds
APPLICATION_NAME = "chesanto-inbox-stream"  # what pg_stat_activity shows for a stream's connection


@dataclass(frozen=True)
class StreamTimings:
    heartbeat: float  # seconds between keep-alive comments
    max_seconds: float  # how long one stream stays open
    retry: float  # the browser's reconnect delay


def event(data: str, *, name: str | None = None, event_id: int | None = None) -> str:
    lines = ([f"id: {event_id}"] if event_id is not None else []) + ([f"event: {name}"] if name else [])
    return "\n".join([*lines, *(f"data: {line}" for line in data.split("\n"))]) + "\n\n"


def comment(text: str) -> str:
    return f": {text}\n\n"


class Listener:
    """A connection of its own that LISTENs for the feed's NOTIFY and wakes for one user."""

    def __init__(self, user_id: int):
        self.payload = str(user_id)
        # A new connection from the project's own database settings, never from a pool: it keeps its LISTEN.
        self.wrapper = connections.create_connection(router.db_for_read(InboxItem))
        options = {k: v for k, v in self.wrapper.settings_dict.get("OPTIONS", {}).items() if k != "pool"}
        self.wrapper.settings_dict = {**self.wrapper.settings_dict, "OPTIONS": {
            "connect_timeout": CONNECT_TIMEOUT, "application_name": f"{APPLICATION_NAME} user {user_id}", **options}}
        self.wrapper.ensure_connection()
        self.conn: psycopg.Connection = self.wrapper.connection
        self.conn.execute(f"LISTEN {feed.NOTIFY_CHANNEL}")

    def wait(self, timeout: float) -> bool:
        """Whether an item for the user was announced within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            for notify in self.conn.notifies(timeout=remaining, stop_after=1):
                if notify.payload == self.payload:
                    return True
        return False

    def close(self) -> None:
        self.wrapper.close()


def stream(user_id: int, after: int | None, timings: StreamTimings,
           listen: Callable[[int], Listener] = Listener, clock: Callable[[], float] = time.monotonic) -> Iterator[str]:
    """The user's stream, as text chunks; `after` = the last item the client has (None: only new ones)."""
    yield f"retry: {round(timings.retry * 1000)}\n\n"
    try:
        listener = listen(user_id)
    except DATABASE_ERRORS as exc:
        log.warning("inbox stream for user %s: cannot listen (%s); the browser will retry", user_id, exc)
        yield comment("database unavailable; reconnect later")
        return
    try:
        last = yield from _newer(user_id, feed.latest(user_id) if after is None else after)
        started = clock()
        next_beat = started + timings.heartbeat
        while (now := clock()) < started + timings.max_seconds:
            if listener.wait(min(next_beat, started + timings.max_seconds) - now):
                last = yield from _newer(user_id, last)
            if clock() >= next_beat:
                yield comment("keep-alive")
                next_beat = clock() + timings.heartbeat
        yield comment("stream ends; reconnect")
    except DATABASE_ERRORS as exc:
        log.warning("inbox stream for user %s ended: %s", user_id, exc)
        yield comment("database unavailable; reconnect later")
    finally:
        listener.close()
        _close_orm_connection()


def _newer(user_id: int, last: int) -> Iterator[str]:
    """Send what is numbered after `last`, then the unread count; return the new resume point."""
    sent = False
    while items := feed.newer_than(user_id, last, BATCH):
        for item in items:
            yield event(feed.dumps(feed.as_json(item)), name="notification", event_id=item.feed_seq)
        last, sent = items[-1].feed_seq, True
    if sent:
        yield event(feed.dumps({"unread_count": feed.unread_count(user_id)}), name="unread")
    _close_orm_connection()
    return last


def _close_orm_connection() -> None:
    """Between reads, a stream holds only its LISTEN connection, not the thread's ORM one too (unless the
    ORM's is inside a transaction, which is not the stream's to end)."""
    orm = connections[router.db_for_read(InboxItem)]
    if not orm.in_atomic_block:
        orm.close()
