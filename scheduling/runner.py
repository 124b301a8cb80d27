"""The scheduler loop: follow until the lock is free, then, while leading, emit every due tick once.

A tick is emitted in one transaction with its ScheduleRun row, whose unique (schedule, tick) says
"done": a tick is emitted once even if two schedulers both think they lead, and a leader's crash
before the commit leaves the tick to its successor. A tick whose events are refused (a schema
changed since the schedule was saved) is recorded with its error and not retried.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from django.db import close_old_connections, connection, transaction
from django.db.models import Max

from chesanto_comms.conf import comms
from chesanto_comms.durations import parse_duration
from outbox import emit
from outbox.errors import OutboxError
from scheduling.events import events_for
from scheduling.leader import Leadership
from scheduling.models import Schedule, ScheduleRun
from scheduling.ticks import due_ticks, next_tick

log = logging.getLogger(__name__)

# The leader looks at the schedules at least this often (a schedule edited or enabled meanwhile).
RELOAD_INTERVAL = 1.0

_CLAIM_TICK = """
INSERT INTO communications_schedule_run (schedule_id, tick, fired_at, events, error)
VALUES (%s, %s, now(), 0, '') ON CONFLICT (schedule_id, tick) DO NOTHING RETURNING id
"""


class Scheduler:
    def __init__(self):
        self.catch_up = parse_duration(comms.SCHEDULER_CATCH_UP)
        self.retry = comms.SCHEDULER_LEADER_RETRY
        self.stopping = threading.Event()
        self.emitted = 0

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self) -> None:
        leadership = Leadership()
        log.info("scheduler started; catch-up window %s, leader retry %.1fs", self.catch_up, self.retry)
        try:
            while not self.stopping.is_set():
                if not leadership.try_to_lead():
                    self.stopping.wait(self.retry)
                    continue
                try:
                    wake_at = self.emit_due(datetime.now(timezone.utc))
                except Exception:  # a database outage: log, step down, and try again as a follower
                    log.exception("scheduler round failed; stepping down")
                    leadership.close()
                    close_old_connections()
                    self.stopping.wait(self.retry)
                    continue
                self.stopping.wait(max(0.0, min(wake_at, RELOAD_INTERVAL)))
        finally:
            leadership.close()
            log.info("scheduler stopped after emitting %d ticks", self.emitted)

    def emit_due(self, now: datetime) -> float:
        """Emit every due tick of the enabled schedules; seconds until the next tick of any of them."""
        schedules = list(Schedule.objects.filter(enabled=True))
        last = dict(ScheduleRun.objects.filter(schedule__in=schedules).values("schedule")
                    .annotate(tick=Max("tick")).values_list("schedule", "tick"))
        wake_at = RELOAD_INTERVAL
        for schedule in schedules:
            # After the last tick emitted, and never before the schedule was (last) enabled.
            since = max([t for t in (last.get(schedule.pk), schedule.enabled_since) if t is not None], default=now)
            due = due_ticks(schedule.cron, schedule.time_zone, since, now, self.catch_up)
            if due.skipped_before is not None:
                log.warning("schedule %r: ticks from %s to %s were missed beyond SCHEDULER_CATCH_UP=%s; skipped",
                            schedule.name, since.isoformat(), due.skipped_before.isoformat(), comms.SCHEDULER_CATCH_UP)
            for tick in due.ticks:
                self.emitted += self.emit_tick(schedule, tick)
            after = max([now, *due.ticks])
            wake_at = min(wake_at, (next_tick(schedule.cron, schedule.time_zone, after) - now).total_seconds())
        return wake_at

    def emit_tick(self, schedule: Schedule, tick: datetime) -> int:
        """Emit one tick's events with its ScheduleRun row; 1 if this call emitted it, 0 if it was done."""
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(_CLAIM_TICK, (schedule.pk, tick))
                    if cursor.fetchone() is None:
                        return 0  # emitted already (by us before, or another scheduler)
                events = [emit(schedule.event_type, data)
                          for data in events_for(schedule.payload, schedule.audience, tick)]
                ScheduleRun.objects.filter(schedule=schedule, tick=tick).update(events=len(events))
        except OutboxError as exc:
            log.error("schedule %r: tick %s emitted nothing: %s", schedule.name, tick.isoformat(), exc)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_CLAIM_TICK, (schedule.pk, tick))
                ScheduleRun.objects.filter(schedule=schedule, tick=tick).update(error=str(exc)[:2000])
            return 1
        log.info("schedule %r: tick %s emitted %d events", schedule.name, tick.isoformat(), len(events))
        return 1
