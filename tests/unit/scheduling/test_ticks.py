"""The due-ticks decision: ticks after the last one emitted, in the schedule's time zone, within the catch-up window."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from chesanto_comms.durations import duration_problem, parse_duration
from scheduling.ticks import due_ticks, expression_problem, next_tick

UTC = timezone.utc
NAIROBI = ZoneInfo("Africa/Nairobi")


def test_ticks_after_since_up_to_now_inclusive_oldest_first():
    since = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)
    due = due_ticks("* * * * * */10", "UTC", since, since + timedelta(seconds=30), timedelta(hours=6))
    assert [t.second for t in due.ticks] == [10, 20, 30]
    assert due.skipped_before is None


def test_the_expression_is_read_in_the_schedules_time_zone():
    since = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 03:00 in Nairobi
    due = due_ticks("0 7 * * *", "Africa/Nairobi", since, since + timedelta(days=1), timedelta(days=2))
    assert due.ticks == [datetime(2026, 12, 7, 7, 0, tzinfo=NAIROBI)]
    assert due.ticks[0].astimezone(UTC).hour == 4


def test_ticks_missed_beyond_the_window_are_skipped_and_said_so():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    due = due_ticks("0 * * * *", "UTC", now - timedelta(hours=10), now, timedelta(hours=3))
    assert [t.hour for t in due.ticks] == [10, 11, 12]  # 09:00 is exactly at the horizon: not after it
    assert due.skipped_before == now - timedelta(hours=3)


def test_nothing_is_skipped_when_no_tick_fell_before_the_window():
    now = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    due = due_ticks("0 0 * * *", "UTC", now - timedelta(hours=10), now, timedelta(hours=3))
    assert due.ticks == [] and due.skipped_before is None


def test_next_tick_and_expression_problems():
    after = datetime(2026, 12, 7, 7, 0, tzinfo=NAIROBI)
    assert next_tick("0 7 * * 1", "Africa/Nairobi", after) == datetime(2026, 12, 14, 7, 0, tzinfo=NAIROBI)
    assert expression_problem("0 7 * * 1") is None
    assert "five fields" in expression_problem("every monday")
    assert "five fields" in expression_problem("61 * * * *")


def test_durations():
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration("90s") == parse_duration("90") == timedelta(seconds=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert "not a duration" in duration_problem("six hours")
