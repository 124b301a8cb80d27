"""The live stream's protocol, with a scripted listener and clock (no waiting), and the NOTIFY
the feed write sends, heard on a real LISTEN connection. The shared LISTEN connection the streams
wait on is tested in test_wakeups.py."""
from __future__ import annotations

import json

import django.db
import psycopg
import pytest
from django.db import connection, transaction

from consumers.inbox import feed
from consumers.inbox.stream import StreamTimings, comment, event, stream
from consumers.inbox.wakeups import ListenerLost, Replaced

TIMINGS = StreamTimings(heartbeat=10, max_seconds=35, retry=3)


class ScriptedListener:
    """Each wait takes its whole timeout on the fake clock, unless the script wakes it (after running an action)."""

    def __init__(self, clock, script=None):
        self.clock, self.script, self.waits, self.closed = clock, dict(script or {}), [], False

    def __call__(self, user_id):
        return self

    def wait(self, timeout):
        self.waits.append(timeout)
        action = self.script.pop(len(self.waits), None)
        if action:
            action()
            self.clock.now += 1
            return True
        self.clock.now += timeout
        return False

    def close(self):
        self.closed = True


def failing(error: Exception):
    """A scripted wait that raises, as the shared listener's does when it is lost or the stream replaced."""
    def fail():
        raise error
    return fail


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def events(chunks):
    """The chunks as (id, event, data) for events and ("comment", text) for comments."""
    parsed = []
    for chunk in chunks:
        if chunk.startswith(":"):
            parsed.append(("comment", chunk[2:].strip()))
        elif chunk.startswith("retry:"):
            parsed.append(("retry", chunk.split()[1]))
        else:
            fields = dict(line.split(": ", 1) for line in chunk.strip().split("\n"))
            parsed.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return parsed


def test_event_and_comment_formats():
    assert event('{"a":1}', name="notification", event_id=7) == 'id: 7\nevent: notification\ndata: {"a":1}\n\n'
    assert event("one\ntwo") == "data: one\ndata: two\n\n"
    assert comment("keep-alive") == ": keep-alive\n\n"


@pytest.mark.django_db
def test_a_quiet_stream_sends_the_retry_hint_keep_alives_and_ends(make_user, add_item):
    user = make_user()
    add_item(user, "old news")  # before the stream: not sent when it starts from now
    clock = Clock()
    listener = ScriptedListener(clock)
    chunks = list(stream(user.pk, None, TIMINGS, listen=listener, clock=clock))
    assert events(chunks) == [("retry", "3000"), ("comment", "keep-alive"), ("comment", "keep-alive"),
                              ("comment", "keep-alive"), ("comment", "stream ends; reconnect")]
    assert listener.waits == [10, 10, 10, 5] and listener.closed


@pytest.mark.django_db
def test_a_stream_resumes_after_the_last_id_and_sends_what_arrives(make_user, add_item):
    user, other = make_user(), make_user()
    first, second = add_item(user, "first"), add_item(user, "second")
    add_item(other, "not yours")
    clock = Clock()
    listener = ScriptedListener(clock, {2: lambda: add_item(user, "live")})
    parsed = events(stream(user.pk, first.feed_seq, TIMINGS, listen=listener, clock=clock))
    sent = [(eid, name, data.get("title", data.get("unread_count"))) for eid, name, data in
            (p for p in parsed if len(p) == 3)]
    live_id = feed.latest(user.pk)
    assert sent == [(str(second.feed_seq), "notification", "second"), (None, "unread", 2),
                    (str(live_id), "notification", "live"), (None, "unread", 3)]
    assert parsed[0] == ("retry", "3000") and parsed[-1] == ("comment", "stream ends; reconnect")


@pytest.mark.django_db
def test_a_client_that_goes_away_closes_the_listener(make_user):
    clock = Clock()
    listener = ScriptedListener(clock)
    chunks = stream(make_user().pk, None, TIMINGS, listen=listener, clock=clock)
    assert next(chunks).startswith("retry:") and next(chunks) == comment("keep-alive")
    chunks.close()  # what the WSGI server does when a write to the client fails
    assert listener.closed


@pytest.mark.django_db
@pytest.mark.parametrize("error", [psycopg.OperationalError, django.db.OperationalError, ListenerLost])
def test_a_stream_without_a_database_tells_the_browser_to_come_back(make_user, error):
    def unreachable(user_id):
        raise error("connection refused")
    assert list(stream(make_user().pk, None, TIMINGS, listen=unreachable)) == [
        "retry: 3000\n\n", comment("database unavailable; reconnect later")]


@pytest.mark.django_db
def test_a_stream_whose_listener_is_lost_ends_with_the_same_comment(make_user):
    clock = Clock()
    listener = ScriptedListener(clock, {2: failing(ListenerLost("terminated"))})
    chunks = list(stream(make_user().pk, None, TIMINGS, listen=listener, clock=clock))
    assert chunks[-2:] == [comment("keep-alive"), comment("database unavailable; reconnect later")]
    assert listener.closed


@pytest.mark.django_db
def test_a_replaced_stream_says_so_and_ends(make_user):
    clock = Clock()
    listener = ScriptedListener(clock, {1: failing(Replaced("more than 5"))})
    assert events(stream(make_user().pk, None, TIMINGS, listen=listener, clock=clock)) == [
        ("retry", "3000"), (None, "replaced", {"reason": "more than 5"})]
    assert listener.closed


# --- NOTIFY, on real connections (committed transactions) -----------------------------
def listening() -> psycopg.Connection:
    conn = psycopg.connect(**{k: v for k, v in connection.get_connection_params().items()
                              if k in ("dbname", "user", "password", "host", "port")}, autocommit=True)
    conn.execute(f"LISTEN {feed.NOTIFY_CHANNEL}")
    return conn


def heard(conn: psycopg.Connection, timeout: float = 1.0) -> list[str]:
    return [n.payload for n in conn.notifies(timeout=timeout)]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_notifies_its_user_id_once_and_only_after_commit(channel, make_user):
    from tests.unit.consumers.inbox.conftest import inbound

    user = make_user("grace@example.com")
    conn = listening()
    try:
        report = inbound("reports.report_ready", email="grace@example.com")
        with transaction.atomic():
            channel.deliver(report)
            assert heard(conn, 0.3) == []  # not committed yet: nobody is woken
        assert heard(conn) == [str(user.pk)]
        channel.deliver(report)  # a redelivery: no second item, so no second wake-up
        assert heard(conn, 0.3) == []
    finally:
        conn.close()
