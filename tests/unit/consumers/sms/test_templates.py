"""Every SMS in the catalogue renders from its sample payload: branded, GSM-7, within
SMS_MAX_SEGMENTS, with the values the recipient needs; OTP codes are masked in the log text.

A new entry in SMS without an entry in EXPECTED fails here, by design.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps

from consumers.sms.compose import MASK, MessageTooLong, mask_secrets, render_sms
from consumers.sms.encoding import GSM7
from consumers.sms.notifications import SMS
from consumers.sms.settings import sms_settings
from outbox.events import get_event_type
from outbox.events.samples import sample

PACKAGED_TEMPLATES = apps.get_app_config("comms_sms").templates_dir

EXPECTED: dict[str, tuple[str, ...]] = {
    "sms_auth_otp": ("482913", "login", "10 min"),
    "sms_auth_security_alert": ("New sign-in from an unknown device", "21 Nov 2026, 22:05 EAT", "102.68.79.201"),
    "sms_sales_payment_receipt": ("KES 3,050.00", "M-Pesa", "SKL4H7XQ2P", "RCT-2026-1534", "INV-2026-0975", "Mama Njeri Shop"),
    "sms_inventory_low_stock": ("Wheat flour (baking)", "12.5 kg", "50 kg"),
    "sms_dispatch_delivery": ("ORD-2026-00417", "today 2-3 pm", "Baraka Mwangi", "KDA 123B"),
}
CASES = [(event_type, n) for event_type, notifications in SMS.items() for n in notifications]


def parse(event_type: str, **changes):
    return get_event_type(event_type).parse({**sample(event_type), **changes})


def test_the_catalogue_is_the_one_the_issue_asks_for():
    assert {t: [(n.name, n.template) for n in ns] for t, ns in SMS.items()} == {
        "auth.otp_requested": [("sms_auth_otp", "sms/auth/otp")],
        "auth.security_alert": [("sms_auth_security_alert", "sms/auth/security_alert")],
        "sales.payment_received": [("sms_sales_payment_receipt", "sms/sales/payment_receipt")],
        "inventory.stock_low": [("sms_inventory_low_stock", "sms/inventory/low_stock")],
        "dispatch.delivery_assigned": [("sms_dispatch_delivery", "sms/dispatch/delivery")],
    }
    assert set(EXPECTED) == {n.name for _, n in CASES}


def test_every_sms_template_is_used():
    files = {str(p.relative_to(PACKAGED_TEMPLATES).with_suffix("")) for p in Path(PACKAGED_TEMPLATES, "sms").rglob("*.txt")
             if not p.name.endswith(".sw.txt")}  # translations: tests/unit/consumers/test_languages.py
    assert files == {n.template for _, n in CASES}


@pytest.mark.parametrize("event_type, notification", CASES, ids=[n.name for _, n in CASES])
def test_sample_renders_branded_short_gsm7(event_type, notification, settings):
    sms = render_sms(notification, parse(event_type))
    assert sms.text.startswith("Chesanto: ")
    assert "\n" not in sms.text and sms.text == sms.text.strip()
    for value in EXPECTED[notification.name]:
        assert value in sms.text
    assert sms.encoding.encoding == GSM7, f"non-GSM-7 characters in {notification.template}.txt"
    assert sms.encoding.segments <= sms_settings.SMS_MAX_SEGMENTS


@pytest.mark.parametrize("event_type, notification", CASES, ids=[n.name for _, n in CASES])
def test_optional_fields_left_out_still_render(event_type, notification):
    optional = {"ip_address": "", "reference": "", "invoice_number": None, "driver_name": "", "vehicle": ""}
    data = parse(event_type, **{k: v for k, v in optional.items() if k in sample(event_type)})
    text = render_sms(notification, data).text
    assert "None" not in text and "ref ," not in text and "()" not in text


def test_otp_code_is_masked_in_the_logged_text_only():
    (otp,) = SMS["auth.otp_requested"]
    sms = render_sms(otp, parse("auth.otp_requested", purpose="password_reset", expiry_minutes=15))
    assert sms.text == "Chesanto: 482913 is your password reset code. It expires in 15 min. Never share it."
    assert sms.logged_text == f"Chesanto: {MASK} is your password reset code. It expires in 15 min. Never share it."


def test_masking_uses_the_events_secret_fields():
    invited = parse("auth.user_invited")  # its secret field is temp_password, not code
    assert mask_secrets("password Mkate-7429-Tamu for Wanjiku", invited) == f"password {MASK} for Wanjiku"
    assert mask_secrets("nothing secret here", parse("dispatch.delivery_assigned")) == "nothing secret here"


def test_an_over_long_sms_is_a_render_error_naming_the_limit(settings):
    settings.SMS_MAX_SEGMENTS = 1
    (low_stock,) = SMS["inventory.stock_low"]
    data = parse("inventory.stock_low", product_name="Unga wa ngano " * 10)
    with pytest.raises(MessageTooLong, match=r"sms/inventory/low_stock.txt rendered GSM-7, \d+ septets, 2 segments, over SMS_MAX_SEGMENTS=1"):
        render_sms(low_stock, data)
    assert issubclass(MessageTooLong, ValueError)  # LoggedChannel turns it into a render failure


def test_one_emoji_makes_the_whole_sms_ucs2():
    (delivery,) = SMS["dispatch.delivery_assigned"]
    sms = render_sms(delivery, parse("dispatch.delivery_assigned", driver_name="Wanjirũ \U0001F69A", eta="leo saa nane mchana"))
    assert (sms.encoding.encoding, sms.encoding.segments) == ("UCS-2", 2)
    assert sms.encoding.units == len(sms.text) + 1  # the truck emoji is 2 UTF-16 code units


@pytest.mark.parametrize("event_type, changes, expected", [
    ("auth.otp_requested", {"phone": None}, []),
    ("auth.security_alert", {"phone": None}, []),
    ("sales.payment_received", {"phone": None}, []),
    ("inventory.stock_low", {"phones": ["+254733445566", "+254711000111"]}, ["+254733445566", "+254711000111"]),
    ("dispatch.delivery_assigned", {}, ["+254722334455"]),
])
def test_recipients(event_type, changes, expected):
    (notification,) = SMS[event_type]
    assert notification.recipients(parse(event_type, **changes)) == expected
