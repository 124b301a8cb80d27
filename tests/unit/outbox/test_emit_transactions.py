"""emit() outside a transaction is one statement committed on return (the relay is woken then);
inside the caller's transaction it commits or rolls back with it."""
from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from outbox import emit
from outbox.emitter import NOTIFY_CHANNEL
from outbox.events.samples import sample
from tests.conftest import database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener():
    """A second connection, as the relay's: it LISTENs for emit's wake-up and reads committed rows."""
    with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as conn:
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        yield conn


def wake_ups(conn: psycopg.Connection) -> int:
    return sum(1 for _ in conn.notifies(timeout=0.5, stop_after=10))


def visible(conn: psycopg.Connection, event_id) -> bool:
    return conn.execute("SELECT count(*) FROM outbox_event WHERE id = %s", (event_id,)).fetchone()[0] == 1


def test_outside_a_transaction_the_row_is_committed_when_emit_returns(listener):
    assert connection.get_autocommit() and not connection.in_atomic_block
    event_id = emit("auth.otp_requested", sample("auth.otp_requested"))
    assert visible(listener, event_id)
    assert wake_ups(listener) == 1
    assert not connection.in_atomic_block  # nothing left open on the caller's connection


def test_inside_the_callers_transaction_it_commits_with_it(listener):
    with transaction.atomic():
        event_id = emit("auth.otp_requested", sample("auth.otp_requested"))
        assert not visible(listener, event_id)
        assert wake_ups(listener) == 0  # NOTIFY waits for the commit too
    assert visible(listener, event_id)
    assert wake_ups(listener) == 1


def test_a_rolled_back_transaction_leaves_no_row_and_wakes_no_one(listener):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        event_id = emit("auth.otp_requested", sample("auth.otp_requested"))
        raise Undo
    assert not visible(listener, event_id)
    assert wake_ups(listener) == 0
