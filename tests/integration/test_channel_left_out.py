"""A host leaves a channel out by leaving out its app: a fresh database gets none of its tables,
`check` is content, its callbacks are not served, and `consume` says how to install it."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import dj_database_url
import psycopg
import pytest

from tests.conftest import database_url
from tests.support.processes import ROOT

pytestmark = [pytest.mark.integration]

WITHOUT_WHATSAPP = "tests.support.hosts.without_whatsapp"


@pytest.fixture
def fresh_database(postgres):
    server = dj_database_url.parse(postgres.url)
    name = f"left_out_{uuid.uuid4().hex[:8]}"
    admin = {"host": server["HOST"], "port": server["PORT"] or 5432, "user": server["USER"] or "postgres",
             "password": server["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield {**server, "NAME": name}
    with psycopg.connect(**admin) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def manage(database: dict, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": WITHOUT_WHATSAPP, "DATABASE_URL": database_url(database),
           "DEBUG": "true", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def tables(database: dict) -> set[str]:
    with psycopg.connect(database_url(database)) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {name for (name,) in rows}


def test_a_channel_left_out_has_no_tables_and_its_consumer_says_how_to_install_it(fresh_database):
    migrated = manage(fresh_database, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr

    made = tables(fresh_database)
    assert {"communications_email_log", "communications_sms_log", "communications_inbox_item",
            "communications_push_log", "communications_push_device"} <= made
    assert not {"communications_whatsapp_log", "communications_whatsapp_contact"} & made

    checked = manage(fresh_database, "check")
    assert checked.returncode == 0 and "no issues" in checked.stdout, checked.stdout + checked.stderr

    consume = manage(fresh_database, "consume", "whatsapp")
    assert consume.returncode != 0
    assert ("channel 'whatsapp' is not installed: add 'consumers.whatsapp' to INSTALLED_APPS; "
            "installed channels: email, sms, inbox, push") in consume.stderr

    served = manage(fresh_database, "shell", "-c",
                    "from django.urls import resolve, Resolver404\n"
                    "for url in ('/webhooks/whatsapp/', '/webhooks/twilio/status/'):\n"
                    "    try: resolve(url); print(url, 'served')\n"
                    "    except Resolver404: print(url, 'not served')")
    assert "/webhooks/whatsapp/ not served" in served.stdout and "/webhooks/twilio/status/ served" in served.stdout, \
        served.stdout + served.stderr
