"""A transactional test's teardown empties every table with one TRUNCATE. The relays and consumers that
a module keeps running may be in a transaction on those tables at that moment; PostgreSQL then breaks
the deadlock by aborting one side, and when that side is the TRUNCATE the test errors at teardown. The
processes retry their own aborted transactions; this makes the teardown retry its own too."""
from __future__ import annotations

import time

from django.test import TransactionTestCase

DEADLOCK_DETECTED = "40P01"
ATTEMPTS = 5


def is_deadlock(exc: BaseException | None) -> bool:
    while exc is not None:
        if getattr(exc, "sqlstate", None) == DEADLOCK_DETECTED:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def retry_teardown_flush_on_deadlock() -> None:
    flush = TransactionTestCase._fixture_teardown
    if getattr(flush, "retries_deadlocks", False):
        return

    def fixture_teardown(self):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return flush(self)
            except Exception as exc:
                if attempt == ATTEMPTS or not is_deadlock(exc):
                    raise
                time.sleep(0.1 * attempt)

    fixture_teardown.retries_deadlocks = True
    TransactionTestCase._fixture_teardown = fixture_teardown
