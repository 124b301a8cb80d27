"""A schedule's events for a tick, the payload check, the admin form's errors, and the seeded schedules."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduling.admin import ScheduleForm
from scheduling.events import events_for, payload_problems
from scheduling.models import Schedule
from tests.support.seeded_schedules import reseed

TICK = datetime(2026, 12, 7, 17, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
REMINDER = {"date": "{tick_date}", "entry_type": "sales", "dashboard_url": "https://bms.example/sales"}


def test_one_event_per_audience_member_with_the_tick_filled_in():
    events = events_for(REMINDER, [{"email": "a@example.com", "name": "A"}, {"email": "b@example.com", "name": "B",
                                                                          "entry_type": "dispatch"}], TICK)
    assert [(e["email"], e["date"], e["entry_type"]) for e in events] == [
        ("a@example.com", "2026-12-07", "sales"), ("b@example.com", "2026-12-07", "dispatch")]
    assert events_for({"period": "to {tick_datetime}"}, [], TICK) == [{"period": "to 2026-12-07T17:00:00+03:00"}]


def test_payload_problems_name_the_recipient_and_the_field():
    problems = payload_problems("auth.daily_entry_reminder", REMINDER,
                                [{"email": "a@example.com", "name": "A"}, {"email": "not-an-address", "name": "B"}], TICK)
    assert list(problems) == ["audience"]
    assert len(problems["audience"]) == 1 and problems["audience"][0].startswith("recipient 2: email:")
    assert payload_problems("auth.daily_entry_reminder", {**REMINDER, "email": "a@example.com", "name": "A"}, [],
                            TICK) == {}
    assert payload_problems("auth.daily_entry_reminder", [], [], TICK) == {
        "payload": ["must be a JSON object of the event's fields"]}


@pytest.mark.django_db
def test_the_admin_form_refuses_a_payload_the_event_type_would_refuse():
    form = ScheduleForm(data={"name": "Reminder", "cron": "0 17 * * 1-6", "time_zone": "Africa/Nairobi",
                              "event_type": "auth.daily_entry_reminder", "payload": '{"entry_type": "weekly"}',
                              "audience": "[]"})
    assert not form.is_valid()
    assert any(message.startswith("entry_type:") for message in form.errors["payload"])
    assert any(message.startswith("email:") for message in form.errors["payload"])


@pytest.mark.django_db
def test_the_admin_form_refuses_a_bad_cron_expression_and_time_zone():
    form = ScheduleForm(data={"name": "x", "cron": "at seven", "time_zone": "Mars/Olympus",
                              "event_type": "auth.daily_entry_reminder", "payload": "{}", "audience": "[]"})
    assert not form.is_valid()
    assert "five fields" in form.errors["cron"][0]
    assert "not an IANA time zone" in form.errors["time_zone"][0]


@pytest.mark.django_db
def test_the_seeded_schedules_are_disabled_and_pass_their_own_admin_form():
    reseed()
    seeded = {s.name: s for s in Schedule.objects.all()}
    assert set(seeded) >= {"Daily entry reminder", "Weekly sales report", "Monthly summary"}
    for schedule in seeded.values():
        assert not schedule.enabled
        form = ScheduleForm(instance=schedule, data={
            "name": schedule.name, "cron": schedule.cron, "time_zone": schedule.time_zone,
            "event_type": schedule.event_type, "payload": ScheduleForm.base_fields["payload"].prepare_value(
                schedule.payload), "audience": ScheduleForm.base_fields["audience"].prepare_value(schedule.audience)})
        assert form.is_valid(), (schedule.name, form.errors)


@pytest.mark.django_db
def test_enabling_a_schedule_stamps_enabled_since_and_keeping_it_enabled_does_not():
    reseed()
    schedule = Schedule.objects.get(name="Monthly summary")
    assert schedule.enabled_since is None
    schedule.enabled = True
    schedule.save()
    first = schedule.enabled_since
    assert first is not None
    schedule.save()
    assert Schedule.objects.get(pk=schedule.pk).enabled_since == first
