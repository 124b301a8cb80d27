"""The teardown flush retries when PostgreSQL picks it as a deadlock's victim, and only then."""
from __future__ import annotations

import pytest
from django.core.management.base import CommandError
from django.test import TransactionTestCase

from tests.support.flush import is_deadlock


class SqlError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def flush_error(sqlstate: str) -> CommandError:
    """What `manage.py flush` raises: a CommandError from Django's error from psycopg's."""
    try:
        try:
            raise SqlError(sqlstate)
        except SqlError as exc:
            raise RuntimeError("deadlock detected") from exc
    except RuntimeError as exc:
        error = CommandError("Database couldn't be flushed")
        error.__cause__ = exc
        return error


def test_a_deadlock_is_recognised_through_the_chain():
    assert is_deadlock(flush_error("40P01"))
    assert not is_deadlock(flush_error("42P01"))  # undefined table: not a deadlock
    assert not is_deadlock(CommandError("no cause"))


@pytest.fixture
def teardown_raising(monkeypatch):
    """The wrapped teardown, around a flush that raises the given errors, then succeeds."""
    import tests.support.flush as flush_module

    def install(*errors: Exception) -> list[int]:
        calls: list[int] = []

        def flush(self):
            calls.append(1)
            if len(calls) <= len(errors):
                raise errors[len(calls) - 1]

        monkeypatch.setattr(TransactionTestCase, "_fixture_teardown", flush)
        monkeypatch.setattr(flush_module.time, "sleep", lambda seconds: None)
        flush_module.retry_teardown_flush_on_deadlock()
        return calls
    return install


def test_a_deadlocked_flush_is_retried(teardown_raising):
    calls = teardown_raising(flush_error("40P01"), flush_error("40P01"))
    TransactionTestCase._fixture_teardown(object())
    assert len(calls) == 3


def test_other_errors_are_not_retried(teardown_raising):
    calls = teardown_raising(flush_error("42P01"))
    with pytest.raises(CommandError):
        TransactionTestCase._fixture_teardown(object())
    assert len(calls) == 1


def test_a_flush_that_keeps_deadlocking_fails_in_the_end(teardown_raising):
    calls = teardown_raising(*[flush_error("40P01")] * 10)
    with pytest.raises(CommandError):
        TransactionTestCase._fixture_teardown(object())
    assert len(calls) == 5
