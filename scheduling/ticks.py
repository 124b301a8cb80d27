"""Which ticks of a cron expression are due: the pure decision the scheduler acts on."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter


@dataclass(frozen=True)
class DueTicks:
    ticks: list[datetime]  # to emit now, oldest first (aware, in the schedule's time zone)
    skipped_before: datetime | None  # ticks in (since, this] were missed beyond the catch-up window


def due_ticks(expression: str, time_zone: str, since: datetime, now: datetime, catch_up: timedelta) -> DueTicks:
    """The ticks in (`since`, `now`]; those older than `now - catch_up` are skipped, not emitted.

    `since` is the last tick emitted (or the moment the schedule was enabled). Ticks are computed in
    the schedule's own time zone, so "07:00 every day" stays 07:00 local across DST changes.
    """
    horizon = now - catch_up
    skipped_before = horizon if since < horizon and next_tick(expression, time_zone, since) <= horizon else None
    cron = croniter(expression, max(since, horizon).astimezone(ZoneInfo(time_zone)))
    ticks = []
    while (tick := cron.get_next(datetime)) <= now:
        ticks.append(tick)
    return DueTicks(ticks, skipped_before)


def next_tick(expression: str, time_zone: str, after: datetime) -> datetime:
    return croniter(expression, after.astimezone(ZoneInfo(time_zone))).get_next(datetime)


def expression_problem(expression: str) -> str | None:
    """What is wrong with a cron expression, or None. Five fields (minute hour day month weekday), or six
    with seconds last (croniter's form: `*/10 * * * * *` is every ten seconds)."""
    if not croniter.is_valid(expression):
        return ("not a cron expression: five fields (minute hour day-of-month month day-of-week, e.g. "
                "`0 7 * * 1` for 07:00 every Monday), or six with seconds last")
    return None
