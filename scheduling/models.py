"""A recurring schedule, and the record of each tick it emitted.

A `ScheduleRun` row is written in the same transaction as the tick's events; its unique
(schedule, tick) makes a tick's events exactly once, even with two schedulers both believing they lead.
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone

DEFAULT_TIME_ZONE = "Africa/Nairobi"


class Schedule(models.Model):
    name = models.CharField(max_length=150, unique=True)
    cron = models.CharField(max_length=120, help_text="minute hour day-of-month month day-of-week, e.g. "
                            "<code>0 7 * * 1</code> (07:00 on Mondays); a sixth field is seconds.")
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE,
                                 help_text="The cron expression's time zone (IANA name).")
    event_type = models.CharField(max_length=255, help_text="The event each tick emits (outbox/events/).")
    payload = models.JSONField(default=dict, blank=True, help_text=(
        "The event's fields common to every recipient. In any text, {tick_date} becomes the tick's date "
        "and {tick_datetime} its date and time (both in the schedule's time zone)."))
    audience = models.JSONField(default=list, blank=True, help_text=(
        "One object per recipient, each merged over the payload: one event per recipient per tick. "
        "Empty: one event of the payload alone."))
    enabled = models.BooleanField(default=False)
    enabled_since = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text="Ticks before this are never emitted (nor caught up).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "communications_schedule"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        was_enabled = (self.pk is not None
                       and Schedule.objects.filter(pk=self.pk, enabled=True).exists())
        if self.enabled and not was_enabled:
            self.enabled_since = timezone.now()  # no catching up of the time it was off
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "enabled_since"}
        super().save(*args, **kwargs)


class ScheduleRun(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    tick = models.DateTimeField(help_text="The cron tick this run emitted (not the time it ran).")
    fired_at = models.DateTimeField(default=timezone.now)
    events = models.IntegerField(default=0, help_text="Events emitted for the tick.")
    error = models.TextField(blank=True, default="", help_text="Why the tick emitted nothing (it is not retried).")

    class Meta:
        db_table = "communications_schedule_run"
        ordering = ["-tick"]
        constraints = [models.UniqueConstraint(fields=["schedule", "tick"], name="schedule_run_once_per_tick")]

    def __str__(self) -> str:
        return f"{self.schedule} @ {self.tick:%Y-%m-%d %H:%M:%S %Z}"
