"""One leader round against the database: each tick's events once with its ScheduleRun row, catch-up
from the last tick, and a tick whose events are refused recorded, not retried."""
from datetime import datetime, timedelta, timezone

import pytest

from outbox.models import OutboxEvent
from scheduling.models import Schedule, ScheduleRun
from scheduling.runner import Scheduler

pytestmark = pytest.mark.django_db

UTC = timezone.utc
AUDIENCE = [{"email": "a@example.com", "name": "A"}, {"email": "b@example.com", "name": "B"}]


def reminder(**fields) -> Schedule:
    schedule = Schedule(name="every minute", cron="* * * * *", time_zone="UTC", event_type="auth.daily_entry_reminder",
                        payload={"date": "{tick_date}", "entry_type": "sales", "dashboard_url": "https://x.example/"},
                        audience=AUDIENCE, enabled=True, **fields)
    schedule.save()
    return schedule


def test_a_tick_is_emitted_once_per_recipient_and_never_again():
    schedule = reminder()
    tick = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    scheduler = Scheduler()
    assert scheduler.emit_tick(schedule, tick) == 1
    assert scheduler.emit_tick(schedule, tick) == 0  # the unique (schedule, tick) says it is done
    run = ScheduleRun.objects.get(schedule=schedule)
    assert (run.tick, run.events, run.error) == (tick, 2, "")
    assert sorted(OutboxEvent.objects.values_list("aggregateid", flat=True)) == ["a@example.com", "b@example.com"]
    assert {e.payload["date"] for e in OutboxEvent.objects.all()} == {"2026-12-07"}


def test_a_round_catches_up_from_the_last_tick_within_the_window(settings):
    settings.SCHEDULER_CATCH_UP = "5m"
    schedule = reminder()
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    ScheduleRun.objects.create(schedule=schedule, tick=now - timedelta(minutes=3, seconds=30), events=2)
    Schedule.objects.filter(pk=schedule.pk).update(enabled_since=now - timedelta(hours=1))
    Scheduler().emit_due(now)
    ticks = list(ScheduleRun.objects.filter(schedule=schedule).order_by("tick").values_list("tick", flat=True))
    assert [now - t for t in ticks] == [timedelta(minutes=m, seconds=30) for m in (3, 2, 1, 0)]


def test_ticks_before_the_window_are_skipped_and_logged(settings, caplog):
    settings.SCHEDULER_CATCH_UP = "2m"
    schedule = reminder()
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    Schedule.objects.filter(pk=schedule.pk).update(enabled_since=now - timedelta(hours=1))
    Scheduler().emit_due(now)
    assert ScheduleRun.objects.filter(schedule=schedule).count() == 2  # the last two minutes, not the hour
    assert "missed beyond SCHEDULER_CATCH_UP=2m; skipped" in caplog.text


def test_a_tick_whose_events_are_refused_is_recorded_with_the_reason_and_not_retried():
    schedule = reminder()
    Schedule.objects.filter(pk=schedule.pk).update(audience=[{"email": "not-an-address", "name": "X"}])
    schedule.refresh_from_db()
    tick = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    scheduler = Scheduler()
    assert scheduler.emit_tick(schedule, tick) == 1
    assert scheduler.emit_tick(schedule, tick) == 0
    run = ScheduleRun.objects.get(schedule=schedule)
    assert run.events == 0 and "invalid data for auth.daily_entry_reminder: email:" in run.error
    assert not OutboxEvent.objects.exists()
