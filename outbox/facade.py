"""The seed's service facade, kept for callers written against it.

    from outbox.facade import EmailService
    EmailService.send_invitation(email, name, role, temp_password, login_url, sent_by=request.user)

Each method emits the matching event in the caller's transaction (it no longer
sends anything itself) and returns the event id.
"""
from __future__ import annotations

import uuid

from outbox import emit


class EmailService:
    @staticmethod
    def send_invitation(email, name, role, temp_password, login_url, sent_by=None) -> uuid.UUID:
        """Invite a user with a temporary password (event auth.user_invited)."""
        return emit(
            "auth.user_invited",
            {"email": email, "name": name, "role": role, "temp_password": temp_password, "login_url": login_url},
            actor=sent_by,
        )

    @staticmethod
    def send_otp(email, name, code, purpose="login", expiry_minutes=10, sent_by=None, phone=None) -> uuid.UUID:
        """A one-time code for login or password reset (event auth.otp_requested); also by SMS if `phone`."""
        data = {"email": email, "name": name, "code": code, "purpose": purpose, "expiry_minutes": expiry_minutes}
        if phone:
            data["phone"] = phone
        return emit("auth.otp_requested", data, actor=sent_by)

    @staticmethod
    def send_password_reset(email, name, code, sent_by=None) -> uuid.UUID:
        """A password-reset code: an OTP with purpose password_reset, valid 15 minutes."""
        return EmailService.send_otp(email, name, code, purpose="password_reset", expiry_minutes=15, sent_by=sent_by)

    @staticmethod
    def send_password_changed(email, name, timestamp, ip_address, user_agent, sent_by=None) -> uuid.UUID:
        """Confirmation that a password changed (event auth.password_changed)."""
        return emit(
            "auth.password_changed",
            {"email": email, "name": name, "timestamp": _iso(timestamp), "ip_address": ip_address,
             "user_agent": user_agent or ""},
            actor=sent_by,
        )

    @staticmethod
    def send_account_approved(email, name, role, login_url, approved_by, sent_by=None, user_id=None) -> uuid.UUID:
        """An account was approved (event auth.account_approved). `user_id`: the approved user's id, so
        their in-app inbox gets it without looking the address up."""
        return emit(
            "auth.account_approved",
            {"email": email, "name": name, "role": role, "login_url": login_url, "approved_by": str(approved_by),
             **_user("user_id", user_id)},
            actor=sent_by,
        )

    @staticmethod
    def send_daily_entry_reminder(email, name, date, entry_type, dashboard_url, sent_by=None,
                                  user_id=None) -> uuid.UUID:
        """Remind a salesman or dispatcher to enter the day's figures (event auth.daily_entry_reminder);
        `user_id`: theirs, for the in-app inbox and push."""
        return emit(
            "auth.daily_entry_reminder",
            {"email": email, "name": name, "date": _iso(date), "entry_type": entry_type, "dashboard_url": dashboard_url,
             **_user("user_id", user_id)},
            actor=sent_by,
        )

    @staticmethod
    def send_order_confirmation(email, order_id, items, total, sent_by=None, customer_name="") -> uuid.UUID:
        """An order is confirmed (event sales.order_confirmed). `items`: dicts or objects with
        product (or name), quantity and unit_price — e.g. an order's item queryset."""
        return emit(
            "sales.order_confirmed",
            {"order_id": str(order_id), "customer_email": email, "customer_name": customer_name,
             "items": [_order_line(item) for item in items], "total": str(total)},
            actor=sent_by,
        )

    @staticmethod
    def send_low_stock_alert(email, product_name, current_stock, threshold, sent_by=None, product_id=None,
                             user_id=None) -> uuid.UUID:
        """A product is below its threshold (event inventory.stock_low), to one address; `user_id`: the
        id of the user it belongs to, for the in-app inbox and push."""
        return emit(
            "inventory.stock_low",
            {"product_id": str(product_id or product_name), "product_name": product_name,
             "current_stock": str(current_stock), "threshold": str(threshold), "recipients": [email],
             **({} if user_id is None else {"recipient_user_ids": [user_id]})},
            actor=sent_by,
        )

    @staticmethod
    def send_scheduled_report(email, report_name, attachment_path, sent_by=None, user_id=None) -> uuid.UUID:
        """A generated report, attached by reference: `attachment_path` is relative to
        REPORTS_STORAGE_DIR (event reports.report_ready); `user_id`: the recipient's, for the in-app inbox."""
        return emit(
            "reports.report_ready",
            {"email": email, "report_name": report_name, "attachment_path": str(attachment_path),
             **_user("user_id", user_id)},
            actor=sent_by,
        )


def _user(field: str, user_id) -> dict:
    """The user-id field, when the caller knows the user (consumers/recipients.py)."""
    return {} if user_id is None else {field: user_id}


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _order_line(item) -> dict:
    if isinstance(item, dict):
        return {"product": item.get("product") or item.get("name"), "quantity": str(item["quantity"]),
                "unit_price": str(item["unit_price"])}
    return {"product": str(getattr(item, "product", None) or getattr(item, "name")),
            "quantity": str(item.quantity), "unit_price": str(item.unit_price)}


class SMSService:
    """The seed's SMS facade (its Phase 2). Each method emits the event the SMS channel sends from."""

    @staticmethod
    def send_otp(phone_number, code, purpose="login", expiry_minutes=10, sent_by=None) -> uuid.UUID:
        """A one-time code by SMS only (event auth.otp_requested with a phone and no email)."""
        return emit(
            "auth.otp_requested",
            {"phone": phone_number, "name": "", "code": code, "purpose": purpose, "expiry_minutes": expiry_minutes},
            actor=sent_by,
        )

    @staticmethod
    def send_delivery_notification(phone_number, order_id, eta, driver_name="", vehicle="", sent_by=None) -> uuid.UUID:
        """A delivery is on its way (event dispatch.delivery_assigned). `eta` as the customer should
        read it ("14:30", "today 2-3 pm"), or a datetime / time, shown as HH:MM in TIME_ZONE."""
        return emit(
            "dispatch.delivery_assigned",
            {"order_id": str(order_id), "phone": phone_number, "eta": _eta_text(eta),
             "driver_name": driver_name, "vehicle": vehicle},
            actor=sent_by,
        )


def _eta_text(eta) -> str:
    from datetime import datetime, time

    from django.utils import timezone

    if isinstance(eta, datetime):
        local = timezone.localtime(eta) if timezone.is_aware(eta) else eta
        return local.strftime("%H:%M") if local.date() == timezone.localdate() else local.strftime("%d %b, %H:%M").lstrip("0")
    if isinstance(eta, time):
        return eta.strftime("%H:%M")
    return str(eta)
