"""Staff edit a template in the admin, in headless Chromium, and real email follows it: emit -> relay -> Kafka ->
`consume email` (processes) -> the SMTP sink. A draft with a syntax error shows the error and cannot be activated;
fixed, its preview shows the text; activated, the next order confirmation is written from it and its log row
names the version; back to the files, the next one is the file's again. No process is restarted."""
from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model

from consumers.email.models import EmailLog
from consumers.models import MessageTemplate
from consumers.template_catalog import sync_message_templates
from outbox import emit
from outbox.events.samples import sample
from tests.integration.admin.test_admin_browser import SCREENSHOTS, browser_page  # noqa: F401 - the fixture
from tests.support.logs import final_email_log
from tests.support.processes import ManagedProcess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
NAME = "sales_order_confirmation"
BROKEN = "Staff wrote: order {{ order_id "
FIXED = "Staff wrote: order {{ order_id }} for {{ customer_name }}."


@pytest.fixture
def email_pipeline(comms_env, smtp_sink):
    run = f"tpl-{uuid.uuid4().hex[:6]}"
    env = {**comms_env, "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
           "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-"}
    processes = {"relay": ManagedProcess("relay", env=env), "email": ManagedProcess("consume", "email", env=env)}
    try:
        yield processes
    finally:
        codes = {name: process.stop() for name, process in processes.items()}
        assert set(codes.values()) == {0}, f"unclean stop {codes}"


def send_order(smtp_sink, processes, address: str):
    event_id = emit("sales.order_confirmed", {**sample("sales.order_confirmed"), "customer_email": address})
    try:
        log = final_email_log(event_id, timeout=60)
        (email,) = smtp_sink.wait_for(lambda received: bool(smtp_sink.to(address)), timeout=30) and smtp_sink.to(address)
    except (TimeoutError, AssertionError) as exc:
        raise AssertionError(f"{exc}\n" + "\n".join(f"--- {n} ---\n{p.log()}" for n, p in processes.items())) from None
    return log, email


def draft(page, live_server, template: MessageTemplate, text: str) -> None:
    page.goto(f"{live_server.url}/admin/communications/messagetemplate/{template.pk}/change/")
    page.click("#new-draft")
    page.wait_for_selector("#draft-form")
    page.fill("#id_en_txt", text)
    page.fill("#id_note", "the text part, by staff")
    page.click("input[name=save]")
    page.wait_for_selector("#version-facts")


def test_staff_draft_preview_activate_and_revert_a_template_and_email_follows(
        live_server, browser_page, email_pipeline, smtp_sink, unique_email):  # noqa: F811
    sync_message_templates()
    get_user_model().objects.create_superuser("editor", "editor@chesanto.local", "s3cret-pass")
    template = MessageTemplate.objects.get(name=NAME)
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    before, _ = send_order(smtp_sink, email_pipeline, unique_email("before"))
    assert before.override_version is None

    draft(page, live_server, template, BROKEN)
    assert "TemplateSyntaxError" in page.inner_text("#preview-en .preview-error")
    assert page.inner_text("#version-state") == "Not in force." and page.locator("#activate-form").count() == 0
    assert "cannot be rendered" in page.inner_text("#version-failed")
    template.refresh_from_db()
    assert template.active_version is None

    draft(page, live_server, template, FIXED)
    assert "version 2, saved by editor" in page.inner_text("#version-facts").lower()
    assert page.inner_text("#email-text") == "Staff wrote: order ORD-2026-00417 for Mama Njeri Shop."
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "template-version.png"), full_page=True)
    page.click("#activate-form input[type=submit]")
    page.wait_for_selector(".field-history")
    assert page.inner_text(".field-in_force .readonly") == "version 2"
    assert "editor" in page.inner_text("#version-2") and "in force" in page.inner_text("#version-2")
    assert "version 2" in page.inner_text("#activations")

    address = unique_email("edited")
    log, email = send_order(smtp_sink, email_pipeline, address)
    assert email.body("plain") == f"Staff wrote: order {log.context_data['order_id']} for Mama Njeri Shop."
    assert (log.status, log.override_version) == (EmailLog.Status.SENT, 2)

    page.click("#use-files")
    page.click("input[name=files]")
    page.wait_for_selector(".field-history")
    assert page.inner_text(".field-in_force .readonly") == "the files"
    assert page.inner_text("#activations li:first-child").endswith("by editor: the files")

    log, email = send_order(smtp_sink, email_pipeline, unique_email("after"))
    assert "Thank you for ordering from Chesanto Bakery." in email.body("plain")
    assert log.override_version is None
