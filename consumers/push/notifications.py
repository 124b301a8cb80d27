"""The push notifications each event type produces. Adding one is an entry here plus its body
template, message_templates/push/<domain>/<name>.txt (one or two short sentences); the title is
the notification's `subject`, a Jinja2 string."""
from __future__ import annotations

from consumers.notifications import Notification
from consumers.push.compose import PushOptions
from consumers.push.recipients import devices_from

HOURS = 3600

# Where each event names its people: an address field and the user-id field beside it (outbox/events/).
USER = devices_from("email", "user_id")
LIST = devices_from("recipients", "recipient_user_ids")
DRIVER = devices_from("driver_email", "driver_user_id")

PUSH: dict[str, list[Notification]] = {
    "auth.security_alert": [Notification(
        "push_auth_security_alert", "push/auth/security_alert", USER,
        subject="Security alert: {{ alert }}",
        options={"push": PushOptions(priority="high", data=lambda d: {"screen": "security"})})],
    "inventory.stock_low": [Notification(
        "push_inventory_low_stock", "push/inventory/low_stock", LIST,
        subject="Low stock: {{ product_name }}",
        options={"push": PushOptions(ttl_seconds=24 * HOURS,
                                     data=lambda d: {"screen": "inventory", "product_id": d.product_id})})],
    "dispatch.delivery_assigned": [Notification(
        "push_dispatch_delivery_assigned", "push/dispatch/delivery_assigned", DRIVER,
        subject="New delivery: {{ order_id }}", customer=False,  # to the driver: the event's language is the customer's
        options={"push": PushOptions(priority="high", ttl_seconds=12 * HOURS,
                                     data=lambda d: {"screen": "dispatch", "order_id": d.order_id})})],
    "auth.daily_entry_reminder": [Notification(
        "push_auth_daily_reminder", "push/auth/daily_reminder", USER,
        subject="Daily {{ entry_type }} entry due",
        options={"push": PushOptions(ttl_seconds=12 * HOURS,
                                     data=lambda d: {"screen": "daily_entry", "url": d.dashboard_url})})],
}
