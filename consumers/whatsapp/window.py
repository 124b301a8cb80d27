"""The 24-hour customer-service window: free-form text reaches a customer only within 24 hours of
their last message to the business number; outside it, only an approved template does.

What we know of it comes from the webhook: each inbound message (`messages` in a callback) moves
the customer's `last_inbound_at` forward. A number we have never heard from, or whose last message
is older than the window less a margin, gets the template. The margin covers the time between our
decision and Meta's: a text that still arrives too late fails with 131047, and is then sent as
the template (channel.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from consumers.whatsapp.models import WhatsAppContact

WINDOW = timedelta(hours=24)  # Meta's customer-service window
MARGIN = timedelta(minutes=15)  # we stop sending text this long before the window closes


def is_open(phone_number: str, now: datetime) -> bool:
    last = (WhatsAppContact.objects.filter(phone_number=phone_number)
            .values_list("last_inbound_at", flat=True).first())
    return last is not None and now < last + WINDOW - MARGIN


def record_inbound(phone_number: str, at: datetime) -> bool:
    """Note that the customer wrote at `at`; True when that moved their window (later than known)."""
    with transaction.atomic():
        contact, created = WhatsAppContact.objects.select_for_update().get_or_create(
            phone_number=phone_number, defaults={"last_inbound_at": at})
        if created:
            return True
        if at <= contact.last_inbound_at:
            return False  # a late or repeated callback
        contact.last_inbound_at = at
        contact.save(update_fields=["last_inbound_at"])
        return True
