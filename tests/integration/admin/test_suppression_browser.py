"""The suppression list in headless Chromium, as the bakery's operator uses it: list the suppressed addresses,
filter to the active hard bounces of email, lift one with a reason (the intermediate page refuses none), and see
the row stay, lifted, with who and why. The template catalogue shows each template's category."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from consumers.models import Suppression
from consumers.suppressions import suppress
from tests.integration.admin.test_admin_browser import SCREENSHOTS, browser_page  # noqa: F401 - the fixture


def expect(locator):
    from playwright.sync_api import expect as playwright_expect  # imported where the browser tests run

    return playwright_expect(locator)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_list_filter_and_lift_a_suppression_with_a_reason(live_server, browser_page):  # noqa: F811
    operator = get_user_model().objects.create_user("operator", "operator@chesanto.local", "s3cret-pass", is_staff=True)
    operator.user_permissions.add(*Permission.objects.filter(content_type__app_label="communications", codename__in=[
        "view_suppression", "change_suppression", "view_messagetemplate"]))
    suppress("email", "gone@example.com", Suppression.Reason.HARD_BOUNCE, "postmark webhook", "550 5.1.1 no such user")
    suppress("email", "angry@example.com", Suppression.Reason.COMPLAINT, "postmark webhook")
    suppress("sms", "+254700000001", Suppression.Reason.INVALID, "africastalking at send", "InvalidPhoneNumber")

    page = browser_page
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/admin/communications/suppression/")
    assert page.locator("#result_list tbody tr").count() == 3

    # Each filter is a page load: the next click and the count wait for it (a count taken mid-load finds no rows).
    page.click("#changelist-filter >> text=Hard bounce")
    page.wait_for_url("**reason__exact=hard_bounce**")
    page.click("#changelist-filter >> text=active")
    page.wait_for_url("**state=active**")
    page.wait_for_load_state()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    shown = rows.first.inner_text()
    assert "gone@example.com" in shown and "postmark webhook" in shown and "active" in shown

    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "lift_selected")
    page.click("button[name=index]")
    page.wait_for_selector("#lift-rows")
    assert "gone@example.com (email, Hard bounce" in page.inner_text("#lift-rows")
    page.click("input[name=lift]")  # no reason given: asked again
    page.wait_for_selector(".errorlist")
    assert "This field is required." in page.inner_text(".errorlist")
    page.fill("textarea[name=lift_reason]", "the customer created the mailbox again")
    page.click("input[name=lift]")
    page.wait_for_selector("ul.messagelist")
    assert "Lifted 1 suppressions." in page.inner_text("ul.messagelist")

    page.goto(f"{live_server.url}/admin/communications/suppression/?state=lifted")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    shown = rows.first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "suppression-lifted.png"), full_page=True)
    assert "gone@example.com" in shown and "lifted" in shown and "operator" in shown
    assert "the customer created the mailbox again" in shown
    assert not Suppression.objects.filter(address="gone@example.com", lifted_at__isnull=True).exists()

    page.goto(f"{live_server.url}/admin/communications/messagetemplate/?category=critical")
    names = page.inner_text("#result_list")
    assert "auth_otp" in names and "sales_order_confirmation" not in names
    assert "critical" in page.locator("#result_list tbody tr").first.locator("td.field-category").inner_text()


def test_staff_record_a_consent_change_and_the_outbox_shows_each_event_s_category(live_server, browser_page):  # noqa: F811
    from consumers import preferences
    from consumers.models import ConsentChange
    from outbox import emit

    get_user_model().objects.create_superuser("admin", "admin@chesanto.local", "s3cret-pass")
    emit("auth.otp_requested", {"email": "otieno@example.com", "name": "Otieno", "code": "482913"})
    page = browser_page
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/admin/outbox/outboxevent/")
    assert "critical" in page.locator("#result_list tbody tr").first.locator("td.field-category").inner_text()

    page.goto(f"{live_server.url}/admin/communications/consentchange/add/")
    page.fill("#id_recipient", "Wanjiku@Example.com")
    page.select_option("#id_category", "marketing")
    page.select_option("#id_channel", "email")
    page.check("#id_opted_in")
    page.fill("#id_wording", "Yes, send me Chesanto's offers by email")
    page.fill("#id_note", "asked at the Westlands counter")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist")
    shown = page.locator("#result_list tbody tr").first.inner_text()
    assert "wanjiku@example.com" in shown and "marketing" in shown and "admin" in shown
    change = ConsentChange.objects.get()
    assert (change.source, change.changed_by.username, change.wording) == (
        "admin", "admin", "Yes, send me Chesanto's offers by email")
    assert preferences.get("wanjiku@example.com", "marketing", "email") is True
    page.goto(f"{live_server.url}/admin/communications/consentchange/{change.pk}/change/")
    assert page.locator("input[name=_save]").count() == 0  # a change is never edited
