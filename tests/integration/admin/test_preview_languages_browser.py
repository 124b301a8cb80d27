"""The message template's change page, in headless Chromium: a message to customers is previewed in
English and in Swahili, each as the customer would read it; a staff message only in English."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from consumers.models import MessageTemplate
from consumers.template_catalog import sync_message_templates
from tests.integration.admin.test_admin_browser import SCREENSHOTS, browser_page  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def change_page(page, live_server, name: str) -> None:
    template = MessageTemplate.objects.get(name=name)
    page.goto(f"{live_server.url}/admin/communications/messagetemplate/{template.pk}/change/")
    page.wait_for_selector(".field-rendered_preview")


def test_the_preview_shows_english_and_swahili(live_server, browser_page):  # noqa: F811
    sync_message_templates()
    get_user_model().objects.create_superuser("admin", "admin@chesanto.local", "s3cret-pass")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    change_page(page, live_server, "sales_order_confirmation")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "preview-languages.png"), full_page=True)
    assert page.inner_text("#preview-en h3") == "English" and page.inner_text("#preview-sw h3") == "Swahili"
    assert page.inner_text("#email-subject") == "Order ORD-2026-00417 confirmed - Chesanto Bakery"
    assert page.inner_text("#email-sw-subject") == "Oda ORD-2026-00417 imethibitishwa - Chesanto Bakery"
    swahili_text = page.inner_text("#email-sw-text")
    assert "Habari Mama Njeri Shop," in swahili_text and "JUMLA: KES 3,050.00" in swahili_text
    assert "Thank you" not in swahili_text and "Thank you for ordering" in page.inner_text("#email-text")
    # The HTML part, as the sandboxed frame shows it.
    frame = page.frame_locator("#email-sw-html")
    assert frame.locator("h1").inner_text() == "Oda yako imethibitishwa"
    assert "Bidhaa" in frame.locator("table").first.inner_text()
    assert page.locator(".errornote").count() == 0  # every part is translated

    change_page(page, live_server, "sms_sales_payment_receipt")
    assert page.inner_text("#sms-sw-text").startswith("Chesanto: Tumepokea KES 3,050.00 kwa M-Pesa")
    assert "GSM-7" in page.inner_text("#sms-sw-encoding")

    change_page(page, live_server, "inventory_low_stock")  # to staff: one preview, in English
    assert page.locator("#preview-sw").count() == 0 and page.locator("#email-subject").count() == 1
