"""The emails each event type produces. Adding one is an entry here plus its two
templates, templates/emails/<domain>/<name>.html and .txt."""
from __future__ import annotations

from typing import Any

from consumers.notifications import Notification, expires_after_minutes, recipients_from
from outbox.events.base import EventSchema


def otp_context(data: EventSchema) -> dict[str, Any]:
    return {"purpose_label": "login verification" if data.purpose == "login" else "password reset"}


def order_context(data: EventSchema) -> dict[str, Any]:
    return {"lines": [{**line.model_dump(), "amount": line.quantity * line.unit_price} for line in data.items]}


EMAILS: dict[str, list[Notification]] = {
    "auth.user_invited": [Notification(
        "auth_invitation", "emails/auth/invitation", recipients_from("email"),
        subject="Welcome to {{ system_name }}")],
    "auth.otp_requested": [Notification(
        "auth_otp", "emails/auth/otp", recipients_from("email"),
        subject="Your Verification Code - {{ company_name }}",
        subjects={"sw": "Nambari yako ya kuthibitisha - {{ company_name }}"},
        extra_context=otp_context, expires=expires_after_minutes)],
    "auth.password_changed": [Notification(
        "auth_password_changed", "emails/auth/password_changed", recipients_from("email"),
        subject="Password Changed - {{ company_name }}")],
    "auth.account_approved": [Notification(
        "auth_account_approved", "emails/auth/account_approved", recipients_from("email"),
        subject="🎉 Your {{ short_name }} Account Has Been Approved")],
    "auth.security_alert": [Notification(
        "auth_security_alert", "emails/auth/security_alert", recipients_from("email"),
        subject="Security alert: {{ alert }} - {{ company_name }}")],
    "auth.daily_entry_reminder": [Notification(
        "auth_daily_reminder", "emails/auth/daily_reminder", recipients_from("email"),
        subject="⏰ Daily Entry Reminder - {{ date | day }}")],
    "sales.order_confirmed": [Notification(
        "sales_order_confirmation", "emails/sales/order_confirmation", recipients_from("customer_email"),
        subject="Order {{ order_id }} confirmed - {{ company_name }}", extra_context=order_context,
        subjects={"sw": "Oda {{ order_id }} imethibitishwa - {{ company_name }}"})],
    "sales.invoice_issued": [Notification(
        "sales_invoice", "emails/sales/invoice", recipients_from("customer_email"),
        subject="Invoice {{ invoice_number }} - {{ company_name }}",
        subjects={"sw": "Ankara {{ invoice_number }} - {{ company_name }}"})],
    "sales.payment_received": [Notification(
        "sales_payment_receipt", "emails/sales/payment_receipt", recipients_from("customer_email"),
        subject="Payment received - receipt {{ receipt_number }}",
        subjects={"sw": "Malipo yamepokelewa - risiti {{ receipt_number }}"})],
    "production.schedule_published": [Notification(
        "production_schedule", "emails/production/schedule_notification", recipients_from("recipients"),
        subject="Production schedule for {{ date | day }}")],
    "inventory.stock_low": [Notification(
        "inventory_low_stock", "emails/inventory/low_stock_alert", recipients_from("recipients"),
        subject="⚠️ Low stock: {{ product_name }}")],
    "reports.report_ready": [Notification(
        "reports_scheduled_report", "emails/reports/scheduled_report", recipients_from("email"),
        subject="Your report: {{ report_name }}")],
}
