"""The live stream: server-sent events for one user, woken by PostgreSQL NOTIFY (no broker).

    retry: 3000                              the reconnect delay the browser should use
    id: 1093                                 one `notification` event per new item, oldest first;
    event: notification                      its id is the item's feed number, so a browser that
    data: {"id": 1093, "title": …}           reconnects sends it back as Last-Event-ID
    event: unread                            the unread count, after each batch (no id: it does
    data: {"unread_count": 3}                not move the resume point)
    : keep-alive                             every INBOX_SSE_HEARTBEAT seconds
    event: replaced                          the user opened more than INBOX_SSE_MAX_PER_USER
    data: {"reason": "…"}                    streams here and this was their oldest: it ends

A stream holds no database connection while it waits: it subscribes to the process's one LISTEN
connection (consumers/inbox/wakeups.py) *before* it reads the feed, so an item committed between
the read and the first wait is announced, not lost; on (re)connect it first sends what is newer
than Last-Event-ID. Each read takes the thread's ORM connection for one query or two and closes
it, with at most READERS reads at once per process, so a burst of wake-ups cannot open a
connection per stream. It ends after INBOX_SSE_MAX_SECONDS (the browser reconnects, and its
session is checked again), when the database goes away, when replaced, or when the client has
gone: the keep-alive is the write that fails then, so a gone client is noticed within one
heartbeat and the server closes this generator, which unsubscribes it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from django.db import connections, router

from consumers.inbox import feed
from consumers.inbox.models import InboxItem
from consumers.inbox.wakeups import DATABASE_ERRORS, ListenerLost, Replaced, subscribe

log = logging.getLogger(__name__)

BATCH = 100  # items per query when catching up
READERS = 4  # streams reading the feed at once, per process: the most ORM connections streams hold
_readers = threading.BoundedSemaphore(READERS)


@dataclass(frozen=True)
class StreamTimings:
    heartbeat: float  # seconds between keep-alive comments
    max_seconds: float  # how long one stream stays open
    retry: float  # the browser's reconnect delay


class Listener(Protocol):
    def wait(self, timeout: float) -> bool: ...  # woken for the user; raises ListenerLost or Replaced
    def close(self) -> None: ...


def event(data: str, *, name: str | None = None, event_id: int | None = None) -> str:
    lines = ([f"id: {event_id}"] if event_id is not None else []) + ([f"event: {name}"] if name else [])
    return "\n".join([*lines, *(f"data: {line}" for line in data.split("\n"))]) + "\n\n"


def comment(text: str) -> str:
    return f": {text}\n\n"


def stream(user_id: int, after: int | None, timings: StreamTimings,
           listen: Callable[[int], Listener] = subscribe, clock: Callable[[], float] = time.monotonic) -> Iterator[str]:
    """The user's stream, as text chunks; `after` = the last item the client has (None: only new ones)."""
    _close_orm_connection()  # any the request opened before (the session check closes its own): none while waiting
    yield f"retry: {round(timings.retry * 1000)}\n\n"
    try:
        listener = listen(user_id)
    except (*DATABASE_ERRORS, ListenerLost) as exc:
        log.warning("inbox stream for user %s: cannot listen (%s); the browser will retry", user_id, exc)
        yield comment("database unavailable; reconnect later")
        return
    except Replaced as exc:  # a newer stream of the user's replaced this one while it was starting
        yield event(feed.dumps({"reason": str(exc)}), name="replaced")
        return
    try:
        last = yield from _newer(user_id, read(feed.latest, user_id) if after is None else after)
        started = clock()
        next_beat = started + timings.heartbeat
        while (now := clock()) < started + timings.max_seconds:
            if listener.wait(min(next_beat, started + timings.max_seconds) - now):
                last = yield from _newer(user_id, last)
            if clock() >= next_beat:
                yield comment("keep-alive")
                next_beat = clock() + timings.heartbeat
        yield comment("stream ends; reconnect")
    except (*DATABASE_ERRORS, ListenerLost) as exc:
        log.warning("inbox stream for user %s ended: %s", user_id, exc)
        yield comment("database unavailable; reconnect later")
    except Replaced as exc:
        yield event(feed.dumps({"reason": str(exc)}), name="replaced")
    finally:
        listener.close()


def _newer(user_id: int, last: int) -> Iterator[str]:
    """Send what is numbered after `last`, then the unread count; return the new resume point."""
    sent = False
    while True:
        items, more, unread = read(_batch_after, user_id, last, sent)
        for item in items:
            yield event(feed.dumps(feed.as_json(item)), name="notification", event_id=item.feed_seq)
        if items:
            last, sent = items[-1].feed_seq, True
        if not more:
            if unread is not None:
                yield event(feed.dumps({"unread_count": unread}), name="unread")
            return last


def _batch_after(user_id: int, last: int, sent: bool) -> tuple[list[InboxItem], bool, int | None]:
    """The next batch after `last`, whether more follow, and after the last batch of a catch-up that
    sent something, the unread count (read on the same connection)."""
    items = feed.newer_than(user_id, last, BATCH)
    more = len(items) == BATCH
    return items, more, (feed.unread_count(user_id) if not more and (items or sent) else None)


def read(query: Callable, *args):
    """One short read on the thread's ORM connection, at most READERS at once per process; the
    connection is closed after it, so a waiting stream holds none. (The stream view's session check
    is one too: a crowd of browsers reconnecting at once opens at most READERS connections.)"""
    with _readers:
        try:
            return query(*args)
        finally:
            _close_orm_connection()


def _close_orm_connection() -> None:
    """Close the thread's ORM connection (unless it is inside a transaction, which is not the stream's to end)."""
    orm = connections[router.db_for_read(InboxItem)]
    if not orm.in_atomic_block:
        orm.close()
