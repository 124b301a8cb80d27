"""The WhatsApp messages each event type produces. Adding one is an entry here, its text template
message_templates/whatsapp/<domain>/<name>.txt (sent inside the customer-service window, and the
preview of the approved template) and its approved template in docs/whatsapp.md.

`options`: `template` is the approved template it goes as (overridable by WHATSAPP_TEMPLATES);
`text_in_window` says whether, inside the 24-hour window, it may go as plain text instead.
A code goes as an authentication template always: its copy-code button is the point.
"""
from __future__ import annotations

from typing import Any

from consumers.notifications import IfInterrupted, Notification, expires_after_minutes, recipients_from
from consumers.whatsapp.template_config import ButtonParameter, TemplateConfig, TemplateConfigError, build


def _options(template: TemplateConfig, text_in_window: bool = True) -> dict:
    return {"template": template, "text_in_window": text_in_window}


WHATSAPP: dict[str, list[Notification]] = {
    "auth.otp_requested": [Notification(
        "whatsapp_auth_otp", "whatsapp/auth/otp", recipients_from("phone"), expires=expires_after_minutes,
        options=_options(TemplateConfig(
            "chesanto_login_code", "en", "AUTHENTICATION", body=("{{ code }}",),
            buttons=(ButtonParameter(0, "url", "{{ code }}"),)), text_in_window=False))],
    "sales.order_confirmed": [Notification(
        "whatsapp_sales_order_confirmation", "whatsapp/sales/order_confirmation", recipients_from("customer_phone"),
        options=_options(TemplateConfig(
            "chesanto_order_confirmation", "en", "UTILITY", body=(
                "{{ customer_name or 'there' }}", "{{ order_id }}", "{{ total | money(currency) }}",
                "{{ delivery_date | day if delivery_date else 'a date we will confirm' }}"))))],
    "sales.payment_received": [Notification(
        "whatsapp_sales_payment_receipt", "whatsapp/sales/payment_receipt", recipients_from("phone"),
        if_interrupted=IfInterrupted.HOLD,  # two receipts for one payment read as two payments
        options=_options(TemplateConfig(
            "chesanto_payment_receipt", "en", "UTILITY", body=(
                "{{ customer_name }}", "{{ amount | money(currency) }}", "{{ method }}",
                "{{ reference or 'none' }}", "{{ receipt_number }}"))))],
    "dispatch.delivery_assigned": [Notification(
        "whatsapp_dispatch_delivery", "whatsapp/dispatch/delivery", recipients_from("phone"),
        options=_options(TemplateConfig(
            "chesanto_delivery_update", "en", "UTILITY", body=(
                "{{ order_id }}", "{{ eta }}",
                "{{ (driver_name or 'our driver') ~ (' (' ~ vehicle ~ ')' if vehicle else '') }}"))))],
}


def by_name() -> dict[str, Notification]:
    return {n.name: n for notifications in WHATSAPP.values() for n in notifications}


def check_overrides(overrides: dict[str, Any]) -> None:
    """Every key of WHATSAPP_TEMPLATES names a notification, and each override builds."""
    known = by_name()
    for name, override in overrides.items():
        if name not in known:
            raise TemplateConfigError(f"WHATSAPP_TEMPLATES names {name!r}, which is no WhatsApp notification; "
                                      f"use one of {', '.join(sorted(known))}")
        build(name, known[name].options["template"], override)
