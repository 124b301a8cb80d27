"""The process's one LISTEN connection, on the real database: streams share it, each is woken for
its own user only, a user's oldest stream is ended beyond the limit, a lost connection ends the
streams and the next one reconnects, and an idle process closes it."""
from __future__ import annotations

import os
import threading
import time

import psycopg
import pytest
from django.db import connection

from chesanto_comms.embedded.ports import free_port
from consumers.inbox.stream import StreamTimings, stream
from consumers.inbox.wakeups import APPLICATION_NAME, ListenerLost, Replaced, Subscription, Wakeups
from tests.support.waiting import wait_until

on_the_database = pytest.mark.django_db(transaction=True)  # the LISTEN thread sees committed rows only


@pytest.fixture
def hub():
    hub = Wakeups(idle_close=0.2, reconnect_delay=0.1, poll=0.1)
    yield hub
    for user_id in list(hub._waiting):
        for subscription in list(hub._waiting.get(user_id, [])):
            subscription.close()
    assert hub.join(5), "the LISTEN thread did not end"


def listen_connections() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                       [f"{APPLICATION_NAME} pid {os.getpid()}"])
        return [pid for (pid,) in cursor.fetchall()]


@on_the_database
def test_streams_share_one_connection_and_each_wakes_for_its_own_user(hub, make_user, add_item):
    mine, theirs = make_user(), make_user()
    waiting = [hub.subscribe(mine.pk, 5), hub.subscribe(mine.pk, 5)] + [hub.subscribe(theirs.pk, 5) for _ in range(3)]
    assert len(listen_connections()) == 1 and hub.streams() == 5 and hub.streams(mine.pk) == 2
    add_item(theirs)
    assert [s.wait(1) for s in waiting[:2]] == [False, False] and waiting[2].wait(1) is True
    add_item(mine)
    assert [s.wait(2) for s in waiting[:2]] == [True, True]
    assert waiting[0].wait(0.2) is False  # one wake-up per notification


@on_the_database
def test_beyond_the_limit_the_users_oldest_stream_ends(hub, make_user):
    user, other = make_user(), make_user()
    first, second = hub.subscribe(user.pk, 2), hub.subscribe(user.pk, 2)
    others = hub.subscribe(other.pk, 2)
    third = hub.subscribe(user.pk, 2)
    with pytest.raises(Replaced, match="more than INBOX_SSE_MAX_PER_USER=2 live streams"):
        first.wait(5)
    assert hub.streams(user.pk) == 2 and second.wait(0.1) is False and third.wait(0.1) is False
    assert others.wait(0.1) is False


@on_the_database
def test_a_lost_connection_ends_the_streams_and_the_next_stream_reconnects(hub, make_user, add_item):
    user = make_user()
    waiting = hub.subscribe(user.pk, 5)
    (pid,) = listen_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(ListenerLost, match="the LISTEN connection was lost"):
        waiting.wait(5)
    again = hub.subscribe(user.pk, 5)
    assert listen_connections() not in ([], [pid])
    add_item(user)
    assert again.wait(2) is True


def test_without_a_database_a_stream_is_told_at_once():
    port = free_port()  # nothing listens there
    hub = Wakeups(connect=lambda: psycopg.connect(host="127.0.0.1", port=port, connect_timeout=2), reconnect_delay=0)
    started = time.monotonic()
    with pytest.raises(ListenerLost, match="cannot LISTEN"):
        hub.subscribe(1, 5)
    assert time.monotonic() - started < 2  # refused: no waiting out the subscribe's 5 s
    assert hub.streams() == 0 and hub.join(5)


@on_the_database
def test_an_idle_process_closes_its_connection(hub, make_user):
    hub.subscribe(make_user().pk, 5).close()
    assert hub.join(5) and listen_connections() == []


@on_the_database
def test_a_new_stream_replaces_the_users_oldest_which_says_so(hub, make_user):
    user = make_user()
    timings = StreamTimings(heartbeat=0.2, max_seconds=30, retry=3)
    first, second = (stream(user.pk, None, timings, listen=lambda user_id: hub.subscribe(user_id, 1)) for _ in range(2))
    assert next(first).startswith("retry:") and next(first) == ": keep-alive\n\n"
    assert next(second).startswith("retry:") and next(second) == ": keep-alive\n\n"
    replaced = next(first)
    assert replaced.startswith("event: replaced\ndata: {\"reason\":\"more than INBOX_SSE_MAX_PER_USER=1")
    assert list(first) == [] and hub.streams(user.pk) == 1
    second.close()
    wait_until(lambda: hub.streams(user.pk) == 0, timeout=2, what="the closed stream to unsubscribe")


def test_a_wake_up_as_a_wait_times_out_is_kept_for_the_next_wait():
    """A NOTIFY landing just as a wait gives up must wake the next one (else its item waits for another)."""
    lost = 0
    for _ in range(1000):
        subscription = Subscription(None, "1")
        waker = threading.Thread(target=lambda s=subscription: (time.sleep(0.0002), s._wake()))
        waker.start()
        deadline, seen = time.monotonic() + 0.01, False
        while not seen and time.monotonic() < deadline:
            seen = subscription.wait(0.00005)  # short waits: many end right as the wake-up comes
        waker.join()
        lost += not (seen or subscription.wait(0))
    assert lost == 0
