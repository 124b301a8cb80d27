"""Three `manage.py scheduler` processes and a schedule ticking every second: the leader is SIGKILLed
twice, a follower takes over within seconds each time, and every tick's event is in the outbox once."""
from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from outbox.models import OutboxEvent
from scheduling.leader import LOCK_KEY, LOCK_SPACE
from scheduling.models import Schedule, ScheduleRun
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEADER = """
SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid
"""
TAKEOVER_SECONDS = 5.0  # the most a dead leader may stay unreplaced
LEADING_SECONDS = 3.0  # how long each leader serves before it is killed


def leader_pid() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(LEADER, (LOCK_SPACE, LOCK_KEY))
        row = cursor.fetchone()
    return int(row[0].rsplit(":", 1)[1]) if row else None


def test_three_schedulers_leader_killed_twice_every_tick_once(comms_env):
    Schedule(name="every second", cron="* * * * * *", time_zone="Africa/Nairobi", event_type="auth.daily_entry_reminder",
             payload={"email": "ops@example.com", "name": "Ops", "date": "{tick_date}", "entry_type": "sales",
                      "dashboard_url": "https://bms.example/daily?tick={tick_datetime}"},
             enabled=True).save()
    schedulers = {}
    killed = []
    try:
        for _ in range(3):
            process = ManagedProcess("scheduler", env=comms_env)
            schedulers[process.process.pid] = process
        for _ in range(2):
            leader = wait_until(lambda: leader_pid() in schedulers and leader_pid(), timeout=30, what="a leader")
            wait_until(lambda: ScheduleRun.objects.exists(), timeout=10, what="a first tick")
            time.sleep(LEADING_SECONDS)
            schedulers[leader].process.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            killed.append(leader)
            successor = wait_until(lambda: (pid := leader_pid()) not in (None, *killed) and pid,
                                   timeout=TAKEOVER_SECONDS + 5, what="a new leader")
            assert time.monotonic() - killed_at < TAKEOVER_SECONDS, "the dead leader was not replaced in time"
            assert successor in schedulers
        time.sleep(LEADING_SECONDS)  # the third leader serves a while
    finally:
        codes = {pid: process.stop(signal.SIGTERM) for pid, process in schedulers.items()}
    survivors = {pid: code for pid, code in codes.items() if pid not in killed}
    assert len(survivors) == 1 and list(survivors.values()) == [0], {p: s.log()[-2000:] for p, s in schedulers.items()}
    assert all(codes[pid] == -signal.SIGKILL for pid in killed)

    ticks = list(ScheduleRun.objects.order_by("tick").values_list("tick", "events"))
    first, last = ticks[0][0], ticks[-1][0]
    assert [tick for tick, _ in ticks] == [first + timedelta(seconds=n) for n in range((last - first).seconds + 1)]
    assert all(events == 1 for _, events in ticks)
    assert len(ticks) >= 3 * LEADING_SECONDS
    per_tick = Counter(row.payload["dashboard_url"] for row in OutboxEvent.objects.all())
    assert len(per_tick) == len(ticks) and set(per_tick.values()) == {1}  # each tick's event once, none missing
    logs = "".join(process.log() for process in schedulers.values())
    assert logs.count("scheduler leads (advisory lock taken)") == 3
