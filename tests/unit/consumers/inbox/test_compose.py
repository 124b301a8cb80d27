"""Rendering inbox items: title, body and link blocks from each notification's template."""
from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from consumers.inbox.compose import InvalidItem, checked_link, render_item
from consumers.inbox.models import Category
from consumers.inbox.notifications import INBOX
from consumers.notifications import Notification, recipients_from
from outbox.events import get_event_type
from outbox.events.samples import sample

EXPECTED = {  # event type: (category, title, link)
    "auth.security_alert": (Category.SECURITY, "Security alert: New sign-in from an unknown device", "http://localhost:8000"),
    "auth.account_approved": (Category.APPROVALS, "Your account is approved", "https://bms.chesanto.co.ke/login"),
    "auth.daily_entry_reminder": (Category.REMINDERS, "Reminder: today's sales entry (21 Nov 2026)",
                                  "https://bms.chesanto.co.ke/sales/daily-entry"),
    "inventory.stock_low": (Category.STOCK, "Low stock: Wheat flour (baking)", ""),
    "reports.report_ready": (Category.REPORTS, "Report ready: Daily sales summary", ""),
    "production.schedule_published": (Category.PRODUCTION, "Production schedule for 22 Nov 2026", ""),
    "sales.invoice_issued": (Category.SALES, "Invoice INV-2026-0981: KES 12,480.00 due 5 Dec 2026",
                             "https://bms.chesanto.co.ke/invoices/INV-2026-0981"),
}


def data(event_type: str, **changes):
    return get_event_type(event_type).parse({**sample(event_type), **changes})


def test_the_inbox_covers_the_events_it_documents():
    assert sorted(INBOX) == sorted(EXPECTED)


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_every_notification_renders_from_its_sample(event_type):
    (notification,) = INBOX[event_type]
    item = render_item(notification, data(event_type))
    assert (item.category, item.title, item.link) == EXPECTED[event_type]
    assert item.body and "\n\n" not in item.body and item.body == item.body.strip()


def test_the_body_keeps_the_events_details():
    (notification,) = INBOX["production.schedule_published"]
    body = render_item(notification, data("production.schedule_published")).body
    assert "- White bread 400g: 1200 loaves (Night shift)\n" in body and "- Sponge cake 1kg: 40 pcs\n" in body
    assert body.endswith("Notes: Oven 2 is down for service until 10:00; start the night shift on oven 1.")
    (notification,) = INBOX["reports.report_ready"]
    bare = render_item(notification, data("reports.report_ready", period="", generated_at=None)).body
    assert bare == 'Your report "Daily sales summary" is ready. It was sent to grace.wambui@chesanto.co.ke as an attachment.'


def write(tmp_path, relative: str, text: str):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_project_overrides_an_item_in_one_file(settings, tmp_path):
    write(tmp_path, "inbox/inventory/low_stock.txt", "{% block title %}Unga: {{ current_stock|qty }} {{ unit }}"
          "{% endblock %}{% block body %}Agiza sasa.{% endblock %}{% block link %}/stores/{{ product_id }}{% endblock %}")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    (notification,) = INBOX["inventory.stock_low"]
    item = render_item(notification, data("inventory.stock_low"))
    assert (item.title, item.body, item.link) == ("Unga: 12.5 kg", "Agiza sasa.", "/stores/RM-FLOUR-001")


def test_secret_fields_stay_masked(settings, tmp_path):
    write(tmp_path, "inbox/auth/otp.txt", "{% block title %}Code{% endblock %}{% block body %}{{ code }}{% endblock %}")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    notification = Notification("inbox_otp", "inbox/auth/otp", recipients_from("email"), options={"category": "security"})
    assert render_item(notification, data("auth.otp_requested")).body == "**********"


@pytest.mark.parametrize("text, error", [
    ("{% block body %}x{% endblock %}", "has no {% block title %}"),
    ("{% block title %}x{% endblock %}", "has no {% block body %}"),
    ("{% block title %}  {% endblock %}{% block body %}x{% endblock %}", "rendered an empty title"),
    ("{% block title %}{{ 'x' * 201 }}{% endblock %}{% block body %}x{% endblock %}",
     "rendered a title of 201 characters; the feed holds 200"),
])
def test_an_item_the_feed_cannot_hold_is_a_render_error(settings, tmp_path, text, error):
    write(tmp_path, "inbox/reports/report_ready.txt", text)
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    (notification,) = INBOX["reports.report_ready"]
    with pytest.raises(InvalidItem, match=error.replace("{", r"\{").replace("}", r"\}")):
        render_item(notification, data("reports.report_ready"))


def test_an_unknown_variable_is_a_render_error(settings, tmp_path):
    write(tmp_path, "inbox/reports/report_ready.txt", "{% block title %}{{ nope }}{% endblock %}{% block body %}x{% endblock %}")
    settings.COMMS_TEMPLATE_DIRS = [str(tmp_path)]
    (notification,) = INBOX["reports.report_ready"]
    with pytest.raises(UndefinedError, match="nope"):
        render_item(notification, data("reports.report_ready"))


@pytest.mark.parametrize("link", ["", "https://bms.example/x?y=1", "http://localhost:8000", "/inventory/RM-1"])
def test_links_the_page_may_use(link):
    assert checked_link(link, "t.txt") == link


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/x", "data:text/html,hi", "ftp://x", "https://a b",
                                  "https://x/" + "y" * 500])
def test_links_the_page_must_not_use(link):
    with pytest.raises(InvalidItem, match="t.txt rendered"):
        checked_link(link, "t.txt")
