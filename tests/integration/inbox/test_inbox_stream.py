"""The live stream over real HTTP: a client holds /comms/inbox/stream/ open against the live
server, an event goes through the real relay and `consume inbox`, and the item arrives on the
stream; a reconnect with Last-Event-ID gets what it missed; open streams share the process's one
LISTEN connection and hold no other; a client that goes away is unsubscribed at the next
keep-alive; a stream ends after INBOX_SSE_MAX_SECONDS. (Many streams against a small
max_connections, on a real gunicorn: test_inbox_stream_capacity.py.)"""
from __future__ import annotations

import json
import os
import time

import pytest
from django.db import connection
from django.test import Client

from consumers.inbox.wakeups import APPLICATION_NAME, wakeups
from outbox import emit
from outbox.events.samples import sample
from tests.integration.inbox.conftest import item_for
from tests.support.event_stream import EventStream
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_heartbeat(settings):
    settings.INBOX_SSE_HEARTBEAT = 1  # the live server runs in this process: it reads these settings


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def listen_connections() -> int:
    """The live server's LISTEN connections (it runs in this process)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                       [f"{APPLICATION_NAME} pid {os.getpid()}"])
        return cursor.fetchone()[0]


def report_for(user, name: str):
    return emit("reports.report_ready", {**sample("reports.report_ready"), "email": user.email, "user_id": user.pk,
                                         "report_name": name})


def test_a_new_item_arrives_on_the_stream_and_a_reconnect_resumes_after_last_event_id(
        inbox_pipeline, live_server, user_with_address):
    user = user_with_address("grace")
    url, session = f"{live_server.url}/comms/inbox/stream/", session_of(user)
    stream = EventStream(url, session)
    assert stream.response.status_code == 200
    assert stream.response.headers["Content-Type"] == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-cache"
    assert stream.next() == {"retry": "3000"}
    assert stream.until("comment") == {"comment": "keep-alive"}  # listening, and past its first read

    first = report_for(user, "Daily sales")
    message = stream.until("notification")
    item = item_for(first)
    assert message["id"] == str(item.feed_seq)
    data = json.loads(message["data"])
    assert (data["id"], data["title"], data["category"], data["read_at"]) == (
        item.feed_seq, "Report ready: Daily sales", "reports", None)
    assert json.loads(stream.until("unread")["data"]) == {"unread_count": 1}
    stream.close()

    missed = [report_for(user, "Weekly stock"), report_for(user, "Monthly payroll")]
    missed_items = [item_for(event_id) for event_id in missed]
    again = EventStream(url, session, last_event_id=item.feed_seq)
    assert again.next() == {"retry": "3000"}
    resumed = [again.until("notification"), again.until("notification")]
    assert [m["id"] for m in resumed] == [str(i.feed_seq) for i in missed_items]
    assert [json.loads(m["data"])["title"] for m in resumed] == [
        "Report ready: Weekly stock", "Report ready: Monthly payroll"]
    assert json.loads(again.until("unread")["data"]) == {"unread_count": 3}
    again.close()


def test_streams_hold_no_connection_and_a_client_that_goes_away_is_unsubscribed(
        inbox_pipeline, live_server, user_with_address):
    users = [user_with_address("otieno"), user_with_address("akinyi")]
    streams = [EventStream(f"{live_server.url}/comms/inbox/stream/", session_of(user)) for user in users * 2]
    for stream in streams:
        stream.until("comment")
    assert [wakeups().streams(user.pk) for user in users] == [2, 2]
    assert listen_connections() == 1  # four open streams, one LISTEN connection, no other held
    for stream in streams[:2]:  # one of each user's
        stream.close()
    started = time.monotonic()
    wait_until(lambda: wakeups().streams(users[0].pk) == 1, timeout=10, what="the closed stream to unsubscribe")
    assert time.monotonic() - started < 5  # noticed at the next keep-alive (1 s here)
    wait_until(lambda: wakeups().streams(users[1].pk) == 1, timeout=5, what="the other closed stream to unsubscribe")
    for stream in streams[2:]:
        stream.close()


def test_a_stream_ends_after_its_longest_time(live_server, user_with_address, settings):
    settings.INBOX_SSE_MAX_SECONDS = 5
    user = user_with_address("kiprono")
    started = time.monotonic()
    stream = EventStream(f"{live_server.url}/comms/inbox/stream/", session_of(user))
    messages = []
    while not (message := stream.next()).get("end"):
        messages.append(message)
    assert 5 <= time.monotonic() - started < 9
    assert messages[0] == {"retry": "3000"} and messages[-1] == {"comment": "stream ends; reconnect"}
    assert {"comment": "keep-alive"} in messages
    wait_until(lambda: wakeups().streams(user.pk) == 0, timeout=5, what="the stream to unsubscribe")


def test_beyond_inbox_sse_max_per_user_the_users_oldest_stream_is_replaced(live_server, user_with_address, settings):
    settings.INBOX_SSE_MAX_PER_USER = 2
    user = user_with_address("wambui")
    url, session = f"{live_server.url}/comms/inbox/stream/", session_of(user)
    oldest, middle = EventStream(url, session), EventStream(url, session)
    for stream in (oldest, middle):
        stream.until("comment")
    newest = EventStream(url, session)
    newest.until("comment")
    replaced = oldest.until("replaced", timeout=10)
    assert json.loads(replaced["data"]) == {"reason": "more than INBOX_SSE_MAX_PER_USER=2 live streams of this user "
                                                      "are open: this one, their oldest, ends"}
    assert oldest.next() == {"end": True}
    assert middle.until("comment") == {"comment": "keep-alive"} and wakeups().streams(user.pk) == 2
    for stream in (oldest, middle, newest):
        stream.close()
