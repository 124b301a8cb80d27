"""The SMS each event type produces. Adding one is an entry here plus its template,
templates/sms/<domain>/<name>.txt (plain text, short, GSM-7 characters only where possible)."""
from __future__ import annotations

from typing import Any

from consumers.notifications import IfInterrupted, Notification, expires_after_minutes, recipients_from
from outbox.events.base import EventSchema


def otp_context(data: EventSchema) -> dict[str, Any]:
    return {"purpose_label": "login" if data.purpose == "login" else "password reset"}


SMS: dict[str, list[Notification]] = {
    "auth.otp_requested": [Notification(
        "sms_auth_otp", "sms/auth/otp", recipients_from("phone"),
        extra_context=otp_context, expires=expires_after_minutes)],
    "auth.security_alert": [Notification(
        "sms_auth_security_alert", "sms/auth/security_alert", recipients_from("phone"))],
    "sales.payment_received": [Notification(
        "sms_sales_payment_receipt", "sms/sales/payment_receipt", recipients_from("phone"),
        if_interrupted=IfInterrupted.HOLD)],  # two receipts for one payment read as two payments
    "inventory.stock_low": [Notification(
        "sms_inventory_low_stock", "sms/inventory/low_stock", recipients_from("phones"))],
    "dispatch.delivery_assigned": [Notification(
        "sms_dispatch_delivery", "sms/dispatch/delivery", recipients_from("phone"))],
}
