"""Quiet hours through the running SMS pipeline, for each provider: outbox -> relay -> Kafka -> `consume sms` ->
the provider's HTTP API (a local server). A stock alert to a number whose quiet hours contain this moment (her own
window, around her local time now, whenever the suite runs) is HELD and the provider gets nothing, while a later
record of the same key to someone else goes at once (the partition is not held up); when her window ends (she
turns it off) the consumer's releaser sends each held message exactly once, in the order they were held."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from consumers import holds, profiles
from consumers.channels import get_channel
from consumers.models import HeldMessage
from consumers.quiet_hours import zone
from consumers.sms.models import SMSLog
from outbox import emit
from outbox.events.samples import sample
from tests.integration.sms.conftest import random_phone
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def window_around_now(time_zone: str) -> str:
    local = datetime.now(zone(time_zone))
    return f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}"


def stock_low(product: str, phone: str, stock: str):
    return emit("inventory.stock_low", {**sample("inventory.stock_low"), "product_id": product, "phones": [phone],
                                        "current_stock": stock, "recipients": [], "recipient_user_ids": []})


def texts(server, phone: str) -> list[str]:
    return [request.form.get("message", request.form.get("Body")) for request in server.to(phone)]


def test_a_held_alert_waits_for_the_window_then_goes_once_in_order(sms_pipeline, phone):
    profiles.set_time_zone(phone, "Europe/London")  # a recipient in another zone: her window is London time
    profiles.set_quiet_hours(phone, window_around_now("Europe/London"))
    product, other = f"RM-{uuid.uuid4().hex[:8]}", random_phone()
    first, second = stock_low(product, phone, "30"), stock_low(product, phone, "20")
    after = stock_low(product, other, "10")  # same key, same partition, after hers

    sent = wait_until(SMSLog.objects.filter(event_id=after, status="SENT").first, what="the later alert sent")
    assert sent.phone_number == other and len(sms_pipeline.server.to(other)) == 1
    def both_held():
        rows = list(SMSLog.objects.filter(event_id__in=[first, second], status="HELD"))
        return rows if len(rows) == 2 else None

    held = wait_until(both_held, what="both of her alerts HELD")
    assert all("Europe/London; goes at" in row.error_message for row in held)
    rows = HeldMessage.objects.filter(recipient=phone).order_by("created_at")
    assert [row.event_id for row in rows] == [first, second] and all(r.released_at is None for r in rows)
    assert sms_pipeline.server.to(phone) == []

    profiles.set_quiet_hours(phone, "off")  # her window ends: the consumer's releaser sends them within seconds
    wait_until(lambda: SMSLog.objects.filter(event_id__in=[first, second], status="SENT").count() == 2,
               what="both held alerts sent after the window ended")
    got = texts(sms_pipeline.server, phone)
    assert len(got) == 2 and "30" in got[0] and "20" in got[1], got
    # the releaser marks them released once their rows are written
    wait_until(lambda: not HeldMessage.objects.filter(recipient=phone, released_at__isnull=True).exists(),
               what="both held rows marked released")
    # released: another releaser (this process) finds nothing of hers due, and nothing more went out
    assert holds.release_due(get_channel("sms")) == 0
    assert len(sms_pipeline.server.to(phone)) == 2
