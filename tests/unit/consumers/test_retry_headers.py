"""A record read from a retry topic: its headers checked before any wait, its due time bounded by the
schedule (consumers/retry.py)."""
from __future__ import annotations

import pytest

from consumers.events import PoisonRecord
from consumers.retry import (
    ATTEMPT,
    CLOCK_SKEW,
    LATER_DELAY,
    MAX_ASKED_DELAY,
    NOT_BEFORE,
    SOURCE,
    RetryPolicy,
    check_retry_headers,
    due_at,
)

GOOD = {ATTEMPT: "2", NOT_BEFORE: "1700000000000", SOURCE: "chesanto.auth:3:120"}


def test_well_formed_headers_give_the_attempt():
    assert check_retry_headers(GOOD) == 2
    assert check_retry_headers({**GOOD, ATTEMPT: "0"}) == 0  # a first delivery deferred (LATER)


@pytest.mark.parametrize(("header", "value", "says"), [
    (ATTEMPT, "-1", "is not a number"),
    (ATTEMPT, "²", "is not a number"),
    (NOT_BEFORE, "١٧٠٠", "is not epoch milliseconds"),  # Arabic-Indic digits: isdigit() is True
    (NOT_BEFORE, "soon", "is not epoch milliseconds"),
    (SOURCE, "chesanto.auth:²:1", "is not topic:partition:offset"),
    (SOURCE, "no-position", "is not topic:partition:offset"),
])
def test_bad_retry_headers_are_poison(header, value, says):
    with pytest.raises(PoisonRecord, match=says):
        check_retry_headers({**GOOD, header: value})


def test_a_missing_header_is_poison():
    with pytest.raises(PoisonRecord, match="bad retry headers"):
        check_retry_headers({ATTEMPT: "1"})


def test_the_due_time_is_read_as_epoch_milliseconds():
    assert due_at({NOT_BEFORE: "1700000000000"}) == 1_700_000_000
    assert due_at({}) == 0 and due_at({NOT_BEFORE: "²"}) == 0


def test_the_longest_wait_is_the_schedules_or_the_longest_retry_after():
    assert RetryPolicy(max_retries=3, delay_seconds=60).longest == MAX_ASKED_DELAY
    assert RetryPolicy(max_retries=5, delay_seconds=600).longest == 600 * 2 ** 4
    assert RetryPolicy(max_retries=0, delay_seconds=0).longest == max(MAX_ASKED_DELAY, LATER_DELAY)


def test_a_due_time_beyond_the_longest_wait_is_poison():
    policy, now = RetryPolicy(max_retries=3, delay_seconds=1), 1_700_000_000.0
    assert policy.checked_due({NOT_BEFORE: str(int((now + 30) * 1000))}, now) == now + 30
    within = now + policy.longest + CLOCK_SKEW - 1
    assert policy.checked_due({NOT_BEFORE: str(int(within * 1000))}, now) == pytest.approx(within)
    with pytest.raises(PoisonRecord, match="no retry waits longer than"):
        policy.checked_due({NOT_BEFORE: "4102444800000"}, now)  # the year 2100
