"""The admin driven in headless Chromium, as the bakery's IT person uses it: from an event,
find the email that failed; then requeue a parked outbox row. A colleague who may view the
outbox but not the delivery logs sees the event's timeline without them."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from consumers.email.models import EmailLog
from outbox import emit
from outbox.models import OutboxEvent

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
            page.set_default_timeout(15000)
            yield page
        finally:
            browser.close()


def test_find_a_failed_email_from_its_event_and_requeue_a_parked_row(live_server, browser_page):
    get_user_model().objects.create_superuser("admin", "admin@chesanto.local", "s3cret-pass")
    failed_event = emit("auth.otp_requested", {"email": "otieno@example.com", "name": "Otieno", "code": "482913"})
    OutboxEvent.objects.filter(id=failed_event).update(published_at=timezone.now(), kafka_topic="chesanto.auth",
                                                       kafka_partition=2, kafka_offset=17)
    EmailLog.objects.create(event_id=failed_event, recipient="otieno@example.com", template="auth_otp",
                            subject="Your Verification Code - Chesanto Bakery", status="FAILED",
                            error_message="SMTPRecipientsRefused: 550 mailbox unavailable")
    parked_event = emit("sales.order_confirmed", {"order_id": "ORD-77", "customer_email": "shop@example.com",
                                                  "items": [{"product": "Mandazi", "quantity": "10", "unit_price": "10"}],
                                                  "total": "100"})
    OutboxEvent.objects.filter(id=parked_event).update(parked_at=timezone.now(), attempts=10, last_error="MSG_SIZE_TOO_LARGE")

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    # From the event (searched by its id) to the email it produced, and why it failed.
    page.goto(f"{live_server.url}/admin/outbox/outboxevent/")
    assert page.inner_text("#backlog-parked") == "1"
    page.fill("#searchbar", str(failed_event))
    page.press("#searchbar", "Enter")
    page.click("#result_list tbody tr th a")
    page.wait_for_selector("table.timeline")
    assert "chesanto.auth partition 2 offset 17" in page.inner_text("table.timeline")
    assert "482913" not in page.content()  # the OTP code stays masked
    page.click("table.timeline >> text=email FAILED")
    page.wait_for_selector(".field-error_message .readonly")  # log rows are shown, never edited
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "failed-email.png"), full_page=True)
    assert page.inner_text(".field-recipient .readonly") == "otieno@example.com"
    assert page.inner_text(".field-status .readonly") == "Failed"
    assert "550 mailbox unavailable" in page.inner_text(".field-error_message .readonly")
    assert page.locator("input[name=_save]").count() == 0

    # The parked row: filter, select, requeue.
    page.goto(f"{live_server.url}/admin/outbox/outboxevent/?status=parked")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "ORD-77" in rows.first.inner_text()
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "requeue_rows")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    assert "Requeued 1 outbox rows." in page.inner_text("ul.messagelist")
    page.screenshot(path=str(SCREENSHOTS / "requeued.png"), full_page=True)
    row = OutboxEvent.objects.get(id=parked_event)
    assert row.parked_at is None and row.attempts == 0


def test_a_viewer_without_the_logs_permissions_sees_the_timeline_without_them(live_server, browser_page):
    viewer = get_user_model().objects.create_user("viewer", "viewer@chesanto.local", "s3cret-pass", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(content_type__app_label="outbox", codename="view_outboxevent"))
    event_id = emit("auth.otp_requested", {"email": "achieng@example.com", "name": "Achieng", "code": "771204"})
    EmailLog.objects.create(event_id=event_id, recipient="achieng.inbox@example.com", template="auth_otp",
                            subject="Your Verification Code - Chesanto Bakery", status="FAILED",
                            error_message="SMTPRecipientsRefused: 550 mailbox unavailable")

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "viewer")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"{live_server.url}/admin/outbox/outboxevent/{event_id}/change/")
    page.wait_for_selector("#timeline table.timeline")
    shown = page.inner_text("#timeline")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "timeline-restricted.png"), full_page=True)
    assert "emitted" in shown and "auth.otp_requested" in shown
    assert "Some channels are hidden" in shown
    assert "email FAILED" not in shown and page.locator("#timeline a").count() == 0  # no row, no link to one
    assert "550 mailbox unavailable" not in page.content() and "achieng.inbox@example.com" not in page.content()


def test_an_operator_decides_on_a_receipt_held_unknown(live_server, browser_page):
    """A payment receipt whose consumer died during the provider call is held UNKNOWN; an operator who may
    change SMS logs sees why, and marks it as arrived (the provider's dashboard showed it)."""
    from consumers.sms.models import SMSLog

    operator = get_user_model().objects.create_user("operator", "operator@chesanto.local", "s3cret-pass", is_staff=True)
    operator.user_permissions.add(*Permission.objects.filter(content_type__app_label="comms_sms",
                                                             codename__in=["view_smslog", "change_smslog"]))
    held = SMSLog.objects.create(phone_number="+254722334455", template="sms_sales_payment_receipt", status="UNKNOWN",
                                 message="Chesanto: payment of KES 3,050.00 received", attempts=1,
                                 interrupted_by="sms@bakery-1:4182:1a2b3c",
                                 error_message="attempt 1 by sms@bakery-1:4182:1a2b3c was interrupted during its "
                                               "provider call; held for a decision (rule: hold)")
    SMSLog.objects.create(phone_number="+254711000111", template="sms_sales_payment_receipt", status="SENT")

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"{live_server.url}/admin/comms_sms/smslog/?status__exact=UNKNOWN")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "+254722334455" in rows.first.inner_text()
    assert "Unknown (held for a decision)" in rows.first.inner_text()
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "mark_arrived")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "unknown-decided.png"), full_page=True)
    assert "It arrived: 1 UNKNOWN rows changed" in page.inner_text("ul.messagelist")
    held.refresh_from_db()
    assert held.status == "SENT" and held.error_message.startswith("it arrived: decided by operator at ")
    assert page.locator("#result_list tbody tr").count() == 0  # the filter shows no UNKNOWN row any more
