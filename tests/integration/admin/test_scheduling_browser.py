"""Scheduling in headless Chromium, as the operator uses it: cancel a held event from the scheduled-events list;
configure the seeded daily entry reminder, refused with the bad field named until its audience is right."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from outbox import emit
from outbox.events.samples import sample
from outbox.models import ScheduledEvent
from scheduling.models import Schedule
from tests.integration.admin.test_admin_browser import browser_page  # noqa: F401 - the fixture
from tests.integration.admin.test_suppression_browser import expect, login
from tests.support.seeded_schedules import reseed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def operator(*codenames: str):
    user = get_user_model().objects.create_user("operator", "operator@chesanto.local", "s3cret-pass", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_cancel_a_scheduled_event_from_the_admin(live_server, browser_page):  # noqa: F811
    operator("view_scheduledevent", "change_scheduledevent")
    due = datetime.now(timezone.utc) + timedelta(hours=2)
    withdrawn = emit("auth.otp_requested", {**sample("auth.otp_requested"), "email": "withdrawn@example.com"},
                     deliver_at=due)
    emit("auth.otp_requested", {**sample("auth.otp_requested"), "email": "kept@example.com"}, deliver_at=due)

    page = browser_page
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/admin/outbox/scheduledevent/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#result_list tbody tr", has_text="withdrawn@example.com").locator("input.action-select").check()
    page.select_option("select[name=action]", "cancel_events")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    assert "Cancelled 1 scheduled events." in page.inner_text("ul.messagelist")
    expect(rows).to_have_count(1)
    assert "kept@example.com" in rows.first.inner_text()
    assert not ScheduledEvent.objects.filter(pk=withdrawn).exists()


def test_configure_the_seeded_reminder_a_bad_recipient_is_named(live_server, browser_page):  # noqa: F811
    operator("view_schedule", "change_schedule", "view_schedulerun")
    reseed()
    reminder = Schedule.objects.get(name="Daily entry reminder")

    page = browser_page
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/admin/scheduling/schedule/")
    assert "Daily entry reminder" in page.inner_text("#result_list")
    page.goto(f"{live_server.url}/admin/scheduling/schedule/{reminder.pk}/change/")
    page.fill("textarea[name=audience]", '[{"email": "wanjiru@chesanto", "name": "Wanjiru"}]')
    page.check("input[name=enabled]")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert "recipient 1: email:" in page.inner_text(".field-audience .errorlist")
    assert not Schedule.objects.get(pk=reminder.pk).enabled

    page.fill("textarea[name=audience]", '[{"email": "wanjiru@chesanto.co.ke", "name": "Wanjiru"}]')
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist")
    row = page.locator("#result_list tbody tr", has_text="Daily entry reminder")
    assert "17:00:00 (Africa/Nairobi)" in row.inner_text()  # the next tick, in the schedule's zone
    saved = Schedule.objects.get(pk=reminder.pk)
    assert saved.enabled and saved.enabled_since is not None
    assert saved.audience == [{"email": "wanjiru@chesanto.co.ke", "name": "Wanjiru"}]
