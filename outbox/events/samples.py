"""One realistic, valid payload per registered event type, as a caller would emit it
(JSON-compatible: dates, datetimes and decimals are strings). Events that the in-app inbox or push
deliver name their users by id (`user_id`, `recipient_user_ids`, …), as a business that knows them
should (consumers/recipients.py).

Used by the admin preview, the demo and the tests; `sample()` hands out a copy, so
callers may change it freely.
"""
from __future__ import annotations

import copy
from typing import Any

from outbox.errors import UnknownEventType

SAMPLES: dict[str, dict[str, Any]] = {
    # --- auth ---------------------------------------------------------------
    "auth.user_invited": {
        "email": "wanjiku.kamau@chesanto.co.ke",
        "name": "Wanjiku Kamau",
        "role": "Salesman",
        "temp_password": "Mkate-7429-Tamu",
        "login_url": "https://bms.chesanto.co.ke/login",
    },
    "auth.otp_requested": {
        "email": "wanjiku.kamau@chesanto.co.ke",
        "phone": "+254712345678",
        "name": "Wanjiku Kamau",
        "code": "482913",
        "purpose": "login",
        "expiry_minutes": 10,
    },
    "auth.password_changed": {
        "email": "wanjiku.kamau@chesanto.co.ke",
        "name": "Wanjiku Kamau",
        "timestamp": "2026-11-21T08:42:00+00:00",  # 11:42 EAT
        "ip_address": "197.232.61.14",
        "user_agent": "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
    },
    "auth.account_approved": {
        "email": "otieno.ochieng@chesanto.co.ke",
        "name": "Otieno Ochieng",
        "role": "Dispatch Officer",
        "login_url": "https://bms.chesanto.co.ke/login",
        "approved_by": "Grace Wambui",
        "user_id": 1043,  # the business knows its user: the inbox goes to them, not to a look-up of the address
    },
    "auth.security_alert": {
        "email": "wanjiku.kamau@chesanto.co.ke",
        "name": "Wanjiku Kamau",
        "phone": "+254712345678",
        "alert": "New sign-in from an unknown device",
        "occurred_at": "2026-11-21T19:05:00+00:00",  # 22:05 EAT
        "ip_address": "102.68.79.201",
        "details": "Chrome on Windows, near Nakuru, Kenya.",
        "user_id": 1042,
    },
    "auth.daily_entry_reminder": {
        "email": "kiprono.langat@chesanto.co.ke",
        "name": "Kiprono Langat",
        "date": "2026-11-21",
        "entry_type": "sales",
        "dashboard_url": "https://bms.chesanto.co.ke/sales/daily-entry",
        "user_id": 1051,
    },
    # --- sales --------------------------------------------------------------
    "sales.order_confirmed": {
        "order_id": "ORD-2026-00417",
        "customer_email": "orders@mamanjerishop.co.ke",
        "customer_name": "Mama Njeri Shop",
        "customer_phone": "+254722334455",
        "items": [
            {"product": "White bread 400g", "quantity": "24", "unit_price": "55.00"},
            {"product": "Brown bread 400g", "quantity": "12", "unit_price": "65.00"},
            {"product": "Mandazi", "quantity": "50", "unit_price": "10.00"},
            {"product": "Queen cakes (dozen)", "quantity": "2.5", "unit_price": "180.00"},
        ],
        "total": "3050.00",
        "currency": "KES",
        "delivery_date": "2026-11-23",
    },
    "sales.invoice_issued": {
        "invoice_number": "INV-2026-0981",
        "order_id": "ORD-2026-00417",
        "customer_email": "accounts@naivasmart.co.ke",
        "customer_name": "Naivas Mart Kikuyu",
        "amount_due": "12480.00",
        "currency": "KES",
        "due_date": "2026-12-05",
        "invoice_url": "https://bms.chesanto.co.ke/invoices/INV-2026-0981",
        "customer_user_id": 2208,  # the trade customer's account in the bakery system
    },
    "sales.payment_received": {
        "receipt_number": "RCT-2026-1534",
        "customer_email": "orders@mamanjerishop.co.ke",
        "customer_name": "Mama Njeri Shop",
        "phone": "+254722334455",
        "amount": "3050.00",
        "currency": "KES",
        "method": "M-Pesa",
        "reference": "SKL4H7XQ2P",
        "invoice_number": "INV-2026-0975",
    },
    # --- production ---------------------------------------------------------
    "production.schedule_published": {
        "schedule_id": "PS-2026-11-22",
        "date": "2026-11-22",
        "recipients": ["bakery.floor@chesanto.co.ke", "mutua.kioko@chesanto.co.ke"],
        "items": [
            {"product": "White bread 400g", "quantity": "1200", "unit": "loaves", "shift": "Night"},
            {"product": "Brown bread 400g", "quantity": "600", "unit": "loaves", "shift": "Night"},
            {"product": "Mandazi", "quantity": "800", "unit": "pcs", "shift": "Morning"},
            {"product": "Sponge cake 1kg", "quantity": "40", "unit": "pcs", "shift": ""},
        ],
        "published_by": "Mutua Kioko",
        "notes": "Oven 2 is down for service until 10:00; start the night shift on oven 1.",
        "recipient_user_ids": [1007],  # Mutua Kioko; bakery.floor@ is a shared mailbox, no user
    },
    # --- inventory ----------------------------------------------------------
    "inventory.stock_low": {
        "product_id": "RM-FLOUR-001",
        "product_name": "Wheat flour (baking)",
        "current_stock": "12.5",
        "threshold": "50",
        "unit": "kg",
        "recipients": ["stores@chesanto.co.ke"],
        "phones": ["+254733445566"],
        "recipient_user_ids": [1019],  # the storekeeper's account (stores@ is a shared mailbox)
    },
    # --- dispatch -----------------------------------------------------------
    "dispatch.delivery_assigned": {
        "order_id": "ORD-2026-00417",
        "phone": "+254722334455",
        "eta": "today 2-3 pm",
        "driver_name": "Baraka Mwangi",
        "vehicle": "KDA 123B",
        "driver_email": "baraka.mwangi@chesanto.co.ke",
        "driver_user_id": 1064,
    },
    # --- reports ------------------------------------------------------------
    "reports.report_ready": {
        "email": "grace.wambui@chesanto.co.ke",
        "report_name": "Daily sales summary",
        "attachment_path": "samples/daily-sales.pdf",
        "period": "21 Nov 2026",
        "generated_at": "2026-11-21T18:00:00+00:00",  # 21:00 EAT
        "report_id": "RPT-DS-20261121",
        "user_id": 1002,
    },
}


def sample(event_type: str) -> dict[str, Any]:
    """A fresh copy of the sample payload for `event_type`."""
    try:
        return copy.deepcopy(SAMPLES[event_type])
    except KeyError:
        raise UnknownEventType(event_type, list(SAMPLES)) from None
