"""Held messages and recipient profiles in headless Chromium, as the bakery's operator uses them: see what quiet
hours hold, to whom and until when, filter to what still waits; edit a recipient's quiet hours (a bad window is
refused with what to give), and turning them off makes her held messages due at once."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from consumers import profiles
from consumers.models import HeldMessage, RecipientProfile
from tests.integration.admin.test_admin_browser import SCREENSHOTS, browser_page  # noqa: F401 - the fixture
from tests.integration.admin.test_suppression_browser import expect, login

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PHONE = "+254722000111"


def held(template: str, recipient: str, release_at: datetime, released_at: datetime | None = None) -> HeldMessage:
    return HeldMessage.objects.create(
        channel="sms", event_id=uuid.uuid4(), template=template, recipient=recipient, recipient_key=recipient,
        key="RM-FLOUR-001", record_value=b"{}", release_at=release_at, released_at=released_at,
        reason="held: quiet hours 21:00-07:00 Africa/Nairobi; goes at 2026-12-08 04:00 UTC")


def test_see_held_messages_and_turn_a_recipients_quiet_hours_off(live_server, browser_page):  # noqa: F811
    operator = get_user_model().objects.create_user("operator", "operator@chesanto.local", "s3cret-pass", is_staff=True)
    operator.user_permissions.add(*Permission.objects.filter(content_type__app_label="communications", codename__in=[
        "view_heldmessage", "view_recipientprofile", "change_recipientprofile"]))
    profiles.set_quiet_hours(PHONE, "21:00-07:00")
    waiting = held("sms_inventory_low_stock", PHONE, timezone.now() + timedelta(hours=8))
    held("sms_inventory_low_stock", "+254722000222", timezone.now() - timedelta(hours=1),
         released_at=timezone.now() - timedelta(minutes=59))

    page = browser_page
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/admin/communications/heldmessage/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    assert "Add held message" not in page.content()  # read-only: they go by themselves
    page.goto(f"{live_server.url}/admin/communications/heldmessage/?released_at__isempty=1")
    expect(rows).to_have_count(1)
    shown = rows.first.inner_text()
    assert PHONE in shown and "sms_inventory_low_stock" in shown and "quiet hours 21:00-07:00" in shown
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "held-messages.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/communications/recipientprofile/")
    page.click(f"#result_list >> text={PHONE}")
    page.fill("#id_quiet_hours", "9pm-7am")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert "HH:MM-HH:MM" in page.inner_text(".errorlist")
    page.fill("#id_quiet_hours", "off")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist")
    assert "was changed successfully" in page.inner_text("ul.messagelist")
    assert RecipientProfile.objects.get(key=PHONE).quiet_hours == "off"
    waiting.refresh_from_db()
    assert waiting.release_at <= timezone.now() and waiting.released_at is None  # due at once: the releaser sends it
