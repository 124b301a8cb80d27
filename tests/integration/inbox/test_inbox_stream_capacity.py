"""Many open inbox pages do not take the database from the rest of the site.

The security review's reproduction, scaled up: a PostgreSQL of its own with max_connections=40
(initdb in a temporary folder), migrated by `manage.py migrate`; the web app served by gunicorn as
the Dockerfile serves it (gthread workers; 2 × 250 threads here, so that 200 streams and the
ordinary requests each find a thread, however the workers share them); 200 live streams opened at once by plain HTTP clients, two
per user, while other clients call the API. With the streams open: /healthz and the inbox API answer
200, PostgreSQL holds one LISTEN connection per worker and hardly anything else, and items put in
the feed (by the channel's own feed write, in a process of its own) reach their users' streams.
"""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import pytest
import requests

from chesanto_comms.embedded.logical_postgres import LogicalPostgres
from consumers.inbox.wakeups import APPLICATION_NAME
from tests.support.event_stream import EventStream
from tests.support.processes import ROOT, ManagedProcess
from tests.support.web_server import Gunicorn

# django_db: the session's test database is set up (comms_env), though this test uses a database of its own.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MAX_CONNECTIONS = 40
USERS, STREAMS_PER_USER = 100, 2  # 200 streams, within INBOX_SSE_MAX_PER_USER (5)
WORKERS, THREADS = 2, 250  # gunicorn may hand one worker most connections: each can hold all 200

MAKE_USERS = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
sessions = {}
for n in range(int(sys.argv[1])):
    user = get_user_model().objects.create_user(f"reader-{n}", f"reader-{n}@example.com")
    client = Client()
    client.force_login(user)
    sessions[user.pk] = client.cookies["sessionid"].value
print(json.dumps(sessions))
"""
# What `consume inbox` does for each item: the log row, then the feed write (its NOTIFY on commit).
ADD_ITEMS = """
import json, sys, uuid
import django
django.setup()
from consumers.inbox import feed
from consumers.inbox.compose import RenderedItem
from consumers.inbox.models import Category, InboxItem
numbers = {}
for user_id in json.loads(sys.argv[1]):
    entry = InboxItem.objects.create(user_id=user_id, event_id=uuid.uuid4(), template="inbox_capacity_test")
    numbers[user_id], _ = feed.enter_feed(entry, RenderedItem(f"Item for {user_id}", "body", "", Category.STOCK), 5)
print(json.dumps(numbers))
"""


def run_python(env: dict[str, str], code: str, *args: str):
    """Run `code` with the project's settings against the site's database; its JSON output."""
    done = subprocess.run([sys.executable, "-c", code, *args], env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Site:
    url: str
    env: dict[str, str]
    sessions: dict[int, str]  # user id -> session cookie
    database: LogicalPostgres
    server: Gunicorn

    def connections(self) -> dict[str, int]:
        """The database's client connections now: LISTEN ones (application name) and all (this one not counted)."""
        with psycopg.connect(self.database.url, autocommit=True) as conn:
            rows = conn.execute("SELECT application_name FROM pg_stat_activity WHERE backend_type = 'client backend' "
                                "AND pid <> pg_backend_pid()").fetchall()
        return {"listen": sum(name.startswith(APPLICATION_NAME) for (name,) in rows), "all": len(rows)}


@pytest.fixture(scope="module")
def site(comms_env):
    with LogicalPostgres(settings={"max_connections": str(MAX_CONNECTIONS)}) as database:
        env = {**comms_env, "DATABASE_URL": database.url, "SECURE_SSL_REDIRECT": "false",
               "INBOX_SSE_HEARTBEAT": "2", "INBOX_SSE_MAX_SECONDS": "600"}
        migrate = ManagedProcess("migrate", "--noinput", "-v", "0", env=env)
        assert migrate.process.wait(180) == 0, migrate.log()
        migrate.stop()
        sessions = {int(user_id): key for user_id, key in run_python(env, MAKE_USERS, str(USERS)).items()}
        server = Gunicorn(env, workers=WORKERS, threads=THREADS)
        try:
            server.wait_ready()
            yield Site(server.url, env, sessions, database, server)
        finally:
            assert server.stop() == 0, server.log()


def ordinary_calls(site: Site, rounds: int) -> list[tuple[str, int]]:
    """What other users' pages and the health check get: (path, status) of each call."""
    def call(n: int) -> tuple[str, int]:
        user_id = list(site.sessions)[n % len(site.sessions)]
        path = ("/healthz", "/comms/inbox/items/?limit=5", "/comms/inbox/unread-count/")[n % 3]
        response = requests.get(site.url + path, cookies={"sessionid": site.sessions[user_id]}, timeout=30)
        return path, response.status_code
    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(call, range(rounds)))


def test_200_open_streams_leave_the_site_working_at_max_connections_40(site):
    with psycopg.connect(site.database.url) as conn:
        assert conn.execute("SHOW max_connections").fetchone() == (str(MAX_CONNECTIONS),)
    url = f"{site.url}/comms/inbox/stream/"
    owners = [user_id for user_id in site.sessions for _ in range(STREAMS_PER_USER)]
    streams: list[EventStream] = []
    try:
        with ThreadPoolExecutor(max_workers=50) as openers, ThreadPoolExecutor(max_workers=1) as others:
            meanwhile = others.submit(ordinary_calls, site, 60)  # while 200 streams open at once
            streams = list(openers.map(lambda user_id: EventStream(url, site.sessions[user_id]), owners))
            during = meanwhile.result()
        assert [s.response.status_code for s in streams] == [200] * len(owners)
        assert during == [(path, 200) for path, _ in during], during

        for stream in streams:  # each has subscribed and read the feed once: its first keep-alive follows
            assert stream.next() == {"retry": "3000"}
            assert stream.until("comment", timeout=30) == {"comment": "keep-alive"}
        held = site.connections()
        print(f"\n200 open streams: {held['listen']} LISTEN connections, {held['all']} client connections in all")
        assert 1 <= held["listen"] <= WORKERS and held["all"] <= WORKERS + 2

        after = ordinary_calls(site, 90)
        assert after == [(path, 200) for path, _ in after], after

        notified = list(site.sessions)[:20]
        numbers = {int(k): v for k, v in run_python(site.env, ADD_ITEMS, json.dumps(notified)).items()}
        for user_id, stream in zip(owners, streams):
            if user_id in numbers:
                message = stream.until("notification", timeout=20)
                assert (message["id"], json.loads(message["data"])["title"]) == (
                    str(numbers[user_id]), f"Item for {user_id}")
        assert site.connections()["all"] <= MAX_CONNECTIONS // 2
    except AssertionError:
        print(site.server.log()[-20000:])
        raise
    finally:
        for stream in streams:
            stream.close()
