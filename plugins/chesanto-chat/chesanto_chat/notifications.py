"""The chat messages each event type produces. Adding one is an entry here plus its template,
message_templates/chat/<domain>/<name>.txt (a few short lines; the title is the `subject`), and the
event type in a host's CHAT_ROUTES (or DEFAULT_ROUTES in chesanto_chat/settings.py).

Recipients are room names: the rooms CHAT_ROUTES sends the event type to, read when the event is.
"""
from __future__ import annotations

from collections.abc import Callable

from chesanto_chat.compose import ChatOptions
from consumers.filters import qty, when
from consumers.notifications import Notification
from outbox.events.base import EventSchema


def routed(event_type: str) -> Callable[[EventSchema], list[str]]:
    def recipients(data: EventSchema) -> list[str]:
        from chesanto_chat.rooms import routes

        return routes().get(event_type, [])
    recipients.__name__ = f"rooms_for_{event_type.replace('.', '_')}"
    return recipients


def _stock_fields(d) -> list[tuple[str, str]]:
    return [("Product", f"{d.product_name} ({d.product_id})"), ("In stock", f"{qty(d.current_stock)} {d.unit}"),
            ("Threshold", f"{qty(d.threshold)} {d.unit}")]


def _schedule_fields(d) -> list[tuple[str, str]]:
    return [("Date", d.date.isoformat()), ("Lines", str(len(d.items))), ("Published by", d.published_by)]


def _alert_fields(d) -> list[tuple[str, str]]:
    return [("User", f"{d.name} <{d.email}>"), ("When", when(d.occurred_at)), ("IP address", d.ip_address)]


CHAT: dict[str, list[Notification]] = {
    "inventory.stock_low": [Notification(
        "chat_inventory_low_stock", "chat/inventory/low_stock", routed("inventory.stock_low"),
        subject="Low stock: {{ product_name }}", options={"chat": ChatOptions(fields=_stock_fields)})],
    "production.schedule_published": [Notification(
        "chat_production_schedule", "chat/production/schedule", routed("production.schedule_published"),
        subject="Production schedule for {{ date|day }}", options={"chat": ChatOptions(fields=_schedule_fields)})],
    "auth.security_alert": [Notification(
        "chat_auth_security_alert", "chat/auth/security_alert", routed("auth.security_alert"),
        subject="Security alert: {{ alert }}", options={"chat": ChatOptions(fields=_alert_fields)})],
}
