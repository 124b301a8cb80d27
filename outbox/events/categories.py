"""What kind of message an event type makes, which decides how the product treats it.

Every event type declares one (`category = Category.CRITICAL`, checked by `@register`):

- `critical`: the recipient cannot go on without it (a login code, a password reset or change, a
  security alert, an invitation's temporary password). Sent even to someone who opted out of mail.
- `transactional`: about something the recipient did or bought (an order, an invoice, a receipt,
  a delivery).
- `operational`: the bakery's own staff at work (reminders, schedules, low stock, reports).
- `marketing`: announcements; opt-in only.
"""
from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    CRITICAL = "critical"
    TRANSACTIONAL = "transactional"
    OPERATIONAL = "operational"
    MARKETING = "marketing"
