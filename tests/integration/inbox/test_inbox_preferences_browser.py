"""A signed-in user's own preferences, from the inbox page, in headless Chromium: the link opens the form of
what the inbox and push send them; a category unticked is recorded as theirs (changed_by), with the words
shown. Without a session the page asks for a login."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from consumers import preferences
from consumers.models import ConsentChange
from tests.integration.admin.test_admin_browser import browser_page  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_user_unticks_operational_inbox_messages_from_the_inbox_page(live_server, browser_page):  # noqa: F811
    user = get_user_model().objects.create_user("achieng", "achieng@example.com", "s3cret-pass", is_staff=True)
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/comms/inbox/")
    page.fill("#id_username", "achieng")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.click("#preferences-link")
    page.wait_for_selector("#preferences")
    assert page.inner_text("#recipient") == "achieng"
    boxes = page.locator("#preferences input[type=checkbox]")
    assert sorted(boxes.evaluate_all("els => els.map(e => e.value)")) == sorted(
        f"{category}.{channel}" for category in ("transactional", "operational", "marketing")
        for channel in ("inbox", "push"))
    operational = page.locator("#choice-operational\\.inbox")
    assert operational.is_checked()
    shown = page.locator("label", has=operational).inner_text().strip()

    operational.uncheck()
    page.click("button[type=submit]")
    page.wait_for_selector("#saved")
    assert not page.locator("#choice-operational\\.inbox").is_checked()
    assert page.locator("#choice-operational\\.push").is_checked()
    (change,) = ConsentChange.objects.filter(recipient=f"user:{user.pk}")
    assert (change.category, change.channel, change.opted_in, change.source) == ("operational", "inbox", False, "link")
    assert (change.changed_by, change.wording) == (user, shown)
    assert not preferences.get(user, "operational", "inbox")


def test_the_page_needs_a_login(client):
    response = client.get("/comms/inbox/preferences/")
    assert response.status_code == 302 and "login" in response["Location"]
