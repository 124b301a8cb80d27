"""The inbox page in headless Chromium, as a baker uses it: log in, open the inbox, a new
notification arrives live (through the real relay and `consume inbox`) without a reload, a click
marks it read."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from consumers.inbox.models import InboxItem
from outbox import emit
from outbox.events.samples import sample
from tests.integration.inbox.conftest import item_for
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
# The machine has no network beyond package registries: keep Chromium from trying to phone home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page(monkeypatch):
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("Chromium is needed in CI (.ci/run installs Debian's chromium package)")
        pytest.skip("no Chromium on this machine (install Debian's chromium package or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, which Django must be told is fine.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30000)
            yield page
        finally:
            browser.close()


def test_a_new_notification_arrives_live_and_a_click_marks_it_read(inbox_pipeline, live_server, browser_page):
    user = get_user_model().objects.create_user("mutua", "mutua.kioko@example.com", "s3cret-pass", is_staff=True)
    schedule = emit("production.schedule_published", {**sample("production.schedule_published"),
                                                      "recipients": [user.email], "recipient_user_ids": [user.pk]})
    item_for(schedule)

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/comms/inbox/")
    page.fill("#id_username", "mutua")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("li.item >> text=Production schedule for 22 Nov 2026")
    page.wait_for_function("document.getElementById('live-status').textContent === 'live'")
    assert page.inner_text("#unread-count") == "1"
    page.evaluate("window.notReloaded = true")

    alert = emit("inventory.stock_low", {**sample("inventory.stock_low"), "recipients": [user.email],
                                        "recipient_user_ids": [user.pk],
                                        "product_name": "Sugar (white)", "current_stock": "8", "unit": "kg"})
    arrived = page.wait_for_selector("li.item.unread >> text=Low stock: Sugar (white)")
    page.wait_for_function("document.getElementById('unread-count').textContent === '2'")
    assert page.evaluate("window.notReloaded") is True  # it came through the stream, not a reload
    titles = page.locator("li.item .title").all_inner_texts()
    assert titles == ["Low stock: Sugar (white)", "Production schedule for 22 Nov 2026"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox-arrived.png"), full_page=True)

    arrived.click()
    page.wait_for_function("document.getElementById('unread-count').textContent === '1'")
    page.wait_for_selector("li.item:not(.unread) >> text=Low stock: Sugar (white)")
    item = wait_until(lambda: InboxItem.objects.filter(event_id=alert, read_at__isnull=False).first(), timeout=5,
                      what="read_at on the clicked item")
    assert item.user_id == user.pk
    assert InboxItem.objects.get(event_id=schedule).read_at is None
    page.screenshot(path=str(SCREENSHOTS / "inbox-read.png"), full_page=True)
