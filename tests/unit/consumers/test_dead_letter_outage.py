"""A dead letter recorded while the consumer's database connection has just been terminated: the
record is written once the next connection opens (the loop never stays on a dead connection)."""
from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection

from consumers.dead_letters import _record
from consumers.models import DeadLetter

pytestmark = pytest.mark.django_db(transaction=True)


def test_recording_a_dead_letter_survives_a_terminated_connection(monkeypatch):
    monkeypatch.setattr("chesanto_comms.backoff.Backoff.next_delay", lambda self: 0.01)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"],
                         password=settings["PASSWORD"] or None, dbname=settings["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    row = _record("email", ("chesanto.auth", 2, 38), {"dead_letter_topic": "chesanto.auth.dlq", "headers": {},
                                                     "error_class": "PoisonRecord", "error": "not JSON"},
                  threading.Event())
    assert DeadLetter.objects.get(pk=row.pk).error == "not JSON"
