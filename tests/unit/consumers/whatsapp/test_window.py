"""The 24-hour customer-service window, as the webhook's inbound messages tell it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consumers.whatsapp import window
from consumers.whatsapp.models import WhatsAppContact

pytestmark = pytest.mark.django_db
PHONE = "+254712000111"


def test_a_number_never_heard_from_has_no_window():
    assert not window.is_open(PHONE, timezone.now())


def test_the_window_is_open_for_24_hours_less_the_margin_after_the_customer_wrote():
    wrote = timezone.now() - timedelta(hours=3)
    assert window.record_inbound(PHONE, wrote)
    assert window.is_open(PHONE, timezone.now())
    assert window.is_open(PHONE, wrote + window.WINDOW - window.MARGIN - timedelta(seconds=1))
    assert not window.is_open(PHONE, wrote + window.WINDOW - window.MARGIN)
    assert not window.is_open(PHONE, wrote + timedelta(hours=25))


def test_only_a_later_message_moves_the_window():
    now = timezone.now()
    assert window.record_inbound(PHONE, now)
    assert not window.record_inbound(PHONE, now - timedelta(hours=1))  # a late callback
    assert not window.record_inbound(PHONE, now)  # the same again
    assert window.record_inbound(PHONE, now + timedelta(minutes=5))
    assert WhatsAppContact.objects.get(phone_number=PHONE).last_inbound_at == now + timedelta(minutes=5)
