"""The inbox items each event type produces. Adding one is an entry here plus its template,
message_templates/inbox/<domain>/<name>.txt, which has a `title`, a `body` and (optionally) a
`link` block (consumers/inbox/compose.py).

Which events: those that tell a person who uses the system about their own work or account,
something they may want to find again later in the app. Not here, and why:
- auth.otp_requested, auth.user_invited: they carry secrets (a code, a temporary password) that
  must not sit in a table for months, and they serve someone who cannot log in yet.
- auth.password_changed: it warns the owner out of band; whoever changed the password is the one
  logged in, and could archive the warning in the app before the owner saw it.
- sales.order_confirmed, sales.payment_received: for customers, who are rarely users; the email
  and the SMS carry them. (An invoice is included: a trade customer with an account sees it.)
- dispatch.delivery_assigned: it names a phone, never a user.
An address (or a list's address) that no active user has makes no item; the consumer logs it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from consumers.inbox.models import Category
from consumers.notifications import Notification, recipients_from
from consumers.recipients import user_ids_for_emails
from outbox.events.base import EventSchema

log = logging.getLogger(__name__)


def users_from(field_name: str) -> Callable[[EventSchema], list[str]]:
    """The users whose addresses the field holds (consumers/recipients.py), each once; an address no
    active user has is logged (there is no log row to say it: a row needs a user)."""
    addresses = recipients_from(field_name)

    def recipients(data: EventSchema) -> list[str]:
        wanted = list(dict.fromkeys(address.lower() for address in addresses(data) if address))
        found = list(dict.fromkeys(user_ids_for_emails(wanted)))
        if len(found) < len(wanted):  # the rare case: find which ones, one query each
            for address in wanted:
                if not user_ids_for_emails([address]):
                    log.info("inbox: no active user has the address %s; no inbox item for it", address)
        return found
    recipients.__name__ = f"users_from_{field_name}"
    return recipients


def item(name: str, template: str, recipients: Callable[[EventSchema], list[str]], category: Category) -> Notification:
    return Notification(name, template, recipients, options={"category": category})


INBOX: dict[str, list[Notification]] = {
    "auth.security_alert": [item(
        "inbox_auth_security_alert", "inbox/auth/security_alert", users_from("email"), Category.SECURITY)],
    "auth.account_approved": [item(
        "inbox_auth_account_approved", "inbox/auth/account_approved", users_from("email"), Category.APPROVALS)],
    "auth.daily_entry_reminder": [item(
        "inbox_auth_daily_reminder", "inbox/auth/daily_reminder", users_from("email"), Category.REMINDERS)],
    "inventory.stock_low": [item(
        "inbox_inventory_low_stock", "inbox/inventory/low_stock", users_from("recipients"), Category.STOCK)],
    "reports.report_ready": [item(
        "inbox_reports_report_ready", "inbox/reports/report_ready", users_from("email"), Category.REPORTS)],
    "production.schedule_published": [item(
        "inbox_production_schedule", "inbox/production/schedule", users_from("recipients"), Category.PRODUCTION)],
    "sales.invoice_issued": [item(
        "inbox_sales_invoice", "inbox/sales/invoice", users_from("customer_email"), Category.SALES)],
}
