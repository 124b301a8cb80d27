"""Schedules in the admin: a payload or audience the event type would refuse is a form error, named
field by field, before it is saved; each schedule's recent runs are listed below it."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin

from outbox.errors import UnknownEventType
from outbox.events import event_types
from scheduling.events import payload_problems
from scheduling.models import Schedule, ScheduleRun
from scheduling.ticks import expression_problem, next_tick


class ScheduleForm(forms.ModelForm):
    event_type = forms.ChoiceField(choices=())

    class Meta:
        model = Schedule
        fields = ["name", "enabled", "cron", "time_zone", "event_type", "payload", "audience"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_type"].choices = [(name, name) for name in sorted(event_types())]

    def clean_cron(self):
        cron = self.cleaned_data["cron"].strip()
        if problem := expression_problem(cron):
            raise forms.ValidationError(problem)
        return cron

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"{name!r} is not an IANA time zone (e.g. Africa/Nairobi)") from None
        return name

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["payload"] = data.get("payload") or {}  # an emptied field: no common fields, no audience
        data["audience"] = data.get("audience") or []
        sample_tick = datetime.now(ZoneInfo(data["time_zone"])).replace(microsecond=0)
        try:
            problems = payload_problems(data["event_type"], data.get("payload"), data.get("audience"), sample_tick)
        except UnknownEventType as exc:
            raise forms.ValidationError(str(exc)) from None
        for field, messages in problems.items():
            self.add_error(field, messages)
        return data


class ScheduleRunInline(admin.TabularInline):
    model = ScheduleRun
    fields = ["tick", "fired_at", "events", "error"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-tick"]
    verbose_name_plural = "runs (latest first)"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-tick")


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = ScheduleForm
    list_display = ["name", "enabled", "cron", "time_zone", "event_type", "next_run", "last_run"]
    list_filter = ["enabled", "event_type"]
    search_fields = ["name"]
    inlines = [ScheduleRunInline]

    @admin.display(description="next tick")
    def next_run(self, obj):
        if not obj.enabled:
            return "—"
        tick = next_tick(obj.cron, obj.time_zone, datetime.now(ZoneInfo(obj.time_zone)))
        return f"{tick:%a %d %b %Y %H:%M:%S} ({obj.time_zone})"  # in the schedule's own zone, as its cron reads

    @admin.display(description="last run")
    def last_run(self, obj):
        run = obj.runs.order_by("-tick").first()
        return f"{run.tick:%Y-%m-%d %H:%M:%S} ({run.events} events)" if run else "—"
