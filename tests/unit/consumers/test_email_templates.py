"""Every email in the catalogue renders from its sample payload: the subject, the key values
in both bodies, inlined CSS, no markup in the text part, escaping in the HTML part.

A new entry in EMAILS without an entry in EXPECTED fails here, by design.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from consumers.email.compose import render_email
from consumers.email.notifications import EMAILS
from outbox.events import get_event_type
from outbox.events.samples import sample

HTML_SPECIAL = "Mama <Njeri> & Sons"
HTML_SPECIAL_ESCAPED = "Mama &lt;Njeri&gt; &amp; Sons"
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
ENTITY = re.compile(r"&(#\d+|[a-zA-Z]+);")


@dataclass(frozen=True)
class Expect:
    subject: str
    values: tuple[str, ...]  # must appear in both the HTML and the text body
    special_field: str  # a free-text field both bodies show; it is set to HTML_SPECIAL


EXPECTED: dict[str, Expect] = {
    "auth_invitation": Expect(
        "Welcome to Chesanto Bakery Management System",
        ("Wanjiku Kamau", "Salesman", "wanjiku.kamau@chesanto.co.ke", "Mkate-7429-Tamu",
         "https://bms.chesanto.co.ke/login"),
        "name"),
    "auth_otp": Expect(
        "Your Verification Code - Chesanto Bakery",
        ("Wanjiku Kamau", "482913", "10 minutes", "login verification"),
        "name"),
    "auth_password_changed": Expect(
        "Password Changed - Chesanto Bakery",
        ("Wanjiku Kamau", "wanjiku.kamau@chesanto.co.ke", "21 Nov 2026, 11:42 EAT", "197.232.61.14",
         "SM-A155F", "support@chesanto.local"),
        "name"),
    "auth_account_approved": Expect(
        "🎉 Your Chesanto Account Has Been Approved",
        ("Otieno Ochieng", "Dispatch Officer", "Grace Wambui", "https://bms.chesanto.co.ke/login"),
        "approved_by"),
    "auth_security_alert": Expect(
        "Security alert: New sign-in from an unknown device - Chesanto Bakery",
        ("Wanjiku Kamau", "New sign-in from an unknown device", "21 Nov 2026, 22:05 EAT", "102.68.79.201",
         "near Nakuru", "+254712345678"),
        "details"),
    "auth_daily_reminder": Expect(
        "⏰ Daily Entry Reminder - 21 Nov 2026",
        ("Kiprono Langat", "21 Nov 2026", "sales", "https://bms.chesanto.co.ke/sales/daily-entry"),
        "name"),
    "sales_order_confirmation": Expect(
        "Order ORD-2026-00417 confirmed - Chesanto Bakery",
        ("Mama Njeri Shop", "ORD-2026-00417", "White bread 400g", "Brown bread 400g", "Mandazi",
         "Queen cakes (dozen)", "2.5", "KES 55.00", "KES 1,320.00", "KES 450.00", "KES 3,050.00", "23 Nov 2026"),
        "customer_name"),
    "sales_invoice": Expect(
        "Invoice INV-2026-0981 - Chesanto Bakery",
        ("Naivas Mart Kikuyu", "INV-2026-0981", "ORD-2026-00417", "KES 12,480.00", "5 Dec 2026",
         "https://bms.chesanto.co.ke/invoices/INV-2026-0981"),
        "customer_name"),
    "sales_payment_receipt": Expect(
        "Payment received - receipt RCT-2026-1534",
        ("Mama Njeri Shop", "RCT-2026-1534", "KES 3,050.00", "M-Pesa", "SKL4H7XQ2P", "INV-2026-0975"),
        "customer_name"),
    "production_schedule": Expect(
        "Production schedule for 22 Nov 2026",
        ("PS-2026-11-22", "22 Nov 2026", "White bread 400g", "1200 loaves", "Mandazi", "800 pcs",
         "Sponge cake 1kg", "Night", "Mutua Kioko", "Oven 2 is down", "bakery.floor@chesanto.co.ke"),
        "published_by"),
    "inventory_low_stock": Expect(
        "⚠️ Low stock: Wheat flour (baking)",
        ("Wheat flour (baking)", "RM-FLOUR-001", "12.5 kg", "50 kg"),
        "product_name"),
    "reports_scheduled_report": Expect(
        "Your report: Daily sales summary",
        ("Daily sales summary", "21 Nov 2026", "21 Nov 2026, 21:00 EAT", "attached to this email"),
        "report_name"),
}

CASES = [
    pytest.param(event_type, notification, id=notification.name)
    for event_type, notifications in EMAILS.items()
    for notification in notifications
]


@pytest.fixture(autouse=True)
def reports_storage(settings, tmp_path):
    """The sample report's attachment (samples/daily-sales.pdf) exists in REPORTS_STORAGE_DIR."""
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "daily-sales.pdf").write_bytes(b"%PDF-1.4\n%sample\n")
    settings.REPORTS_STORAGE_DIR = str(tmp_path)
    return tmp_path


def render(event_type, notification, payload):
    data = get_event_type(event_type).parse(payload)
    recipients = notification.recipients(data)
    assert recipients, f"the {event_type} sample gives {notification.name} no recipient"
    return render_email(notification, data, recipients[0])


def test_every_email_has_expectations():
    names = {notification.name for notifications in EMAILS.values() for notification in notifications}
    assert names - set(EXPECTED) == set(), "add an Expect to EXPECTED for each new email"
    assert set(EXPECTED) - names == set(), "EXPECTED names an email that EMAILS no longer has"


@pytest.mark.parametrize("event_type, notification", CASES)
def test_sample_renders_subject_and_key_values(event_type, notification):
    expect = EXPECTED[notification.name]
    email = render(event_type, notification, sample(event_type))

    assert email.subject == expect.subject
    for value in expect.values:
        assert value in email.html, f"{value!r} missing from the HTML body"
        assert value in email.text, f"{value!r} missing from the text body"


@pytest.mark.parametrize("event_type, notification", CASES)
def test_html_has_inlined_css_and_text_has_no_markup(event_type, notification):
    email = render(event_type, notification, sample(event_type))

    assert "<style" in email.html  # kept for @media rules
    assert "border-collapse: collapse" in email.html  # a rule from <style>, inlined by css-inline
    assert TAG.search(email.text) is None, TAG.search(email.text).group()
    assert ENTITY.search(email.text) is None, ENTITY.search(email.text).group()
    assert "None" not in email.text
    assert "\n\n" + "-" * 40 + "\n" in email.text  # a blank line before the footer


@pytest.mark.parametrize("event_type, notification", CASES)
def test_html_special_value_is_escaped_in_html_only(event_type, notification):
    payload = {**sample(event_type), EXPECTED[notification.name].special_field: HTML_SPECIAL}
    email = render(event_type, notification, payload)

    assert HTML_SPECIAL not in email.html
    assert "<Njeri>" not in email.html
    assert HTML_SPECIAL_ESCAPED in email.html
    assert HTML_SPECIAL in email.text


# Optional fields are left out, except what the schema needs to have a recipient.
KEEP_OPTIONAL = {"auth.otp_requested": {"email"}, "inventory.stock_low": {"recipients"}}


def minimal(event_type: str) -> dict:
    schema = get_event_type(event_type)
    keep = KEEP_OPTIONAL.get(event_type, set())
    return {
        name: value for name, value in sample(event_type).items()
        if schema.model_fields[name].is_required() or name in keep
    }


@pytest.mark.parametrize("event_type, notification", CASES)
def test_renders_without_optional_fields(event_type, notification):
    email = render(event_type, notification, minimal(event_type))

    assert email.subject and email.html and email.text
    assert "None" not in email.text and "None" not in email.html


@pytest.mark.parametrize("event_type, absent", [
    ("sales.order_confirmed", ("23 Nov 2026", "Mama Njeri Shop")),
    ("sales.invoice_issued", ("ORD-2026-00417", "Naivas Mart Kikuyu")),
    ("sales.payment_received", ("SKL4H7XQ2P", "INV-2026-0975")),
    ("auth.security_alert", ("102.68.79.201", "+254712345678", "near Nakuru")),
    ("auth.password_changed", ("SM-A155F",)),
    ("production.schedule_published", ("Oven 2 is down",)),
    ("reports.report_ready", ("Generated", "Period")),
])
def test_optional_values_left_out_are_not_mentioned(event_type, absent):
    (notification,) = EMAILS[event_type]
    email = render(event_type, notification, minimal(event_type))

    for value in absent:
        assert value not in email.html and value not in email.text


def test_greeting_without_a_customer_name():
    (notification,) = EMAILS["sales.order_confirmed"]
    email = render("sales.order_confirmed", notification, {**sample("sales.order_confirmed"), "customer_name": ""})
    assert "Hello," in email.text and "Hello," in email.html


def test_report_is_attached_from_storage(reports_storage):
    (notification,) = EMAILS["reports.report_ready"]
    email = render("reports.report_ready", notification, sample("reports.report_ready"))
    assert email.attachments == [(reports_storage / "samples" / "daily-sales.pdf").resolve()]


@pytest.mark.parametrize("purpose", ["login", "password_reset"])
def test_otp_text_sets_the_code_apart(purpose):
    (notification,) = EMAILS["auth.otp_requested"]
    email = render("auth.otp_requested", notification, {**sample("auth.otp_requested"), "purpose": purpose})
    assert "\n\n    482913\n\n" in email.text
    assert ".Once" not in email.text
