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
- dispatch.delivery_assigned: its customer is a phone number; its driver gets a push.

Recipients are users: the ids the event gives, else the one active user an address belongs to
(consumers/recipients.py). A name that finds no user makes no item and can have no log row (a row
needs a user): it is logged, with the event's id, and counted (chesanto_recipients_unresolved_total).
An address nobody has is routine (a customer, a shared mailbox) and logged at INFO; an address
several users have, or an id no active user has, is a WARNING: the event meant someone.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from consumers.inbox.models import Category
from consumers.notifications import Notification
from consumers.recipients import Miss, count_misses, named_in
from outbox.events.base import EventSchema

log = logging.getLogger(__name__)


def users_from(address_field: str, user_id_field: str) -> Callable[[EventSchema], list[str]]:
    """The users the event names in these fields (consumers/recipients.py), each once; a name that
    finds no user is logged and counted."""
    named = named_in(address_field, user_id_field)

    def recipients(data: EventSchema) -> list[str]:
        people = named(data)
        count_misses("inbox", people)
        for person in people:
            if person.miss is not None:
                level = logging.INFO if person.miss is Miss.NO_USER and not person.by_id else logging.WARNING
                log.log(level, "inbox: %s; no inbox item for it", person.reason())
        return list(dict.fromkeys(person.user_id for person in people if person.user_id is not None))
    recipients.__name__ = f"users_from_{address_field}"
    return recipients


def item(name: str, template: str, recipients: Callable[[EventSchema], list[str]], category: Category) -> Notification:
    return Notification(name, template, recipients, options={"category": category})


# Where each event names its people: an address field and the user-id field beside it (outbox/events/).
USER = users_from("email", "user_id")
LIST = users_from("recipients", "recipient_user_ids")
CUSTOMER = users_from("customer_email", "customer_user_id")

INBOX: dict[str, list[Notification]] = {
    "auth.security_alert": [item(
        "inbox_auth_security_alert", "inbox/auth/security_alert", USER, Category.SECURITY)],
    "auth.account_approved": [item(
        "inbox_auth_account_approved", "inbox/auth/account_approved", USER, Category.APPROVALS)],
    "auth.daily_entry_reminder": [item(
        "inbox_auth_daily_reminder", "inbox/auth/daily_reminder", USER, Category.REMINDERS)],
    "inventory.stock_low": [item(
        "inbox_inventory_low_stock", "inbox/inventory/low_stock", LIST, Category.STOCK)],
    "reports.report_ready": [item(
        "inbox_reports_report_ready", "inbox/reports/report_ready", USER, Category.REPORTS)],
    "production.schedule_published": [item(
        "inbox_production_schedule", "inbox/production/schedule", LIST, Category.PRODUCTION)],
    "sales.invoice_issued": [item(
        "inbox_sales_invoice", "inbox/sales/invoice", CUSTOMER, Category.SALES)],
}
