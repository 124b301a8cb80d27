"""Jinja2 filters for message templates: dates in the bakery's time zone, money, quantities, each
written for the message's language (the `language` the template is rendered with; English by default).

Swahili is written with a small table, not Babel: all it needs are the month names (CLDR's `sw`,
"7 Desemba 2026") and the 24-hour clock, while Babel would be a new dependency of every host for
twelve words. Numbers are grouped the same in both ("1,320.00", as Kenyan receipts and M-Pesa write
them), and money keeps its ISO code first in both ("KES 1,320.00").
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from jinja2 import pass_context

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    # CLDR sw, format-wide: Swahili dates are written in full ("7 Desemba 2026").
    "sw": ("Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba", "Oktoba",
           "Novemba", "Desemba"),
}


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def day(value, language: str = "en") -> str:
    """21 Nov 2026; in Swahili 21 Novemba 2026"""
    value = _as_date(value)
    return f"{value.day} {MONTHS[language][value.month - 1]} {value.year}"


def when(value, language: str = "en") -> str:
    """21 Nov 2026, 14:30 EAT (in TIME_ZONE); in Swahili 21 Novemba 2026, 14:30 EAT: the 24-hour clock,
    not "saa 8:30" (Swahili hours count from 6 a.m., so "saa" with a 24-hour time would mislead)"""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    return f"{day(local.date(), language)}, {local.strftime('%H:%M')} {local.tzname()}"


def money(value, currency: str = "KES") -> str:
    """KES 1,234.50 (the same in English and Swahili)"""
    return f"{currency} {Decimal(value):,.2f}"


def qty(value) -> str:
    """2.500 -> 2.5, 12.000 -> 12"""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _language(context) -> str:
    language = context.get("language", "en")  # a template rendered without one is English
    return language if language in MONTHS else "en"


@pass_context
def _day(context, value) -> str:
    return day(value, _language(context))


@pass_context
def _when(context, value) -> str:
    return when(value, _language(context))


FILTERS = {"day": _day, "when": _when, "money": money, "qty": qty}
