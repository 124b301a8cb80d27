"""Jinja2 filters for message templates: dates in the bakery's time zone, money, quantities."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def day(value) -> str:
    """21 Nov 2026"""
    return _as_date(value).strftime("%d %b %Y").lstrip("0")


def when(value) -> str:
    """21 Nov 2026, 14:30 EAT (in TIME_ZONE)"""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    return f"{local.strftime('%d %b %Y, %H:%M').lstrip('0')} {local.tzname()}"


def money(value, currency: str = "KES") -> str:
    """KES 1,234.50"""
    return f"{currency} {Decimal(value):,.2f}"


def qty(value) -> str:
    """2.500 -> 2.5, 12.000 -> 12"""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


FILTERS = {"day": day, "when": when, "money": money, "qty": qty}
