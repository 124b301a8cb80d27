"""The seed's SMSService methods emit the events the SMS channel sends from."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from outbox.facade import SMSService
from outbox.models import OutboxEvent
from outbox.secrets import is_sealed, unseal

pytestmark = pytest.mark.django_db


def test_send_otp_emits_a_phone_only_otp_with_the_code_sealed():
    row = OutboxEvent.objects.get(id=SMSService.send_otp("+254712345678", "482913"))
    assert (row.type, row.aggregateid) == ("auth.otp_requested", "+254712345678")
    assert {k: v for k, v in row.payload.items() if k != "code"} == {
        "email": None, "phone": "+254712345678", "name": "", "purpose": "login", "expiry_minutes": 10}
    assert is_sealed(row.payload["code"]) and unseal(row.payload["code"]) == "482913"


def test_send_delivery_notification_emits_delivery_assigned():
    row = OutboxEvent.objects.get(id=SMSService.send_delivery_notification("+254722334455", 417, "today 2-3 pm"))
    assert (row.type, row.aggregateid) == ("dispatch.delivery_assigned", "417")
    assert row.payload == {"order_id": "417", "phone": "+254722334455", "eta": "today 2-3 pm", "driver_name": "", "vehicle": "",
                           "driver_email": None, "driver_user_id": None}


@pytest.mark.parametrize("eta, expected", [
    (time(14, 30), "14:30"),
    (timezone.localtime().replace(hour=14, minute=30), "14:30"),
])
def test_eta_as_a_time_reads_as_hours_and_minutes(eta, expected):
    row = OutboxEvent.objects.get(id=SMSService.send_delivery_notification("+254722334455", "ORD-1", eta))
    assert row.payload["eta"] == expected


def test_eta_on_another_day_shows_the_date():
    tomorrow = timezone.localtime().replace(hour=9, minute=5) + timedelta(days=1)
    row = OutboxEvent.objects.get(id=SMSService.send_delivery_notification("+254722334455", "ORD-1", tomorrow))
    assert row.payload["eta"] == tomorrow.strftime("%d %b, 09:05").lstrip("0")
