"""Delivery webhooks through Django's test client, against the real PostgreSQL test database."""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from consumers.email.models import EmailLog
from consumers.sms.models import SMSLog

OUTCOMES = ("applied", "duplicate", "unknown_message", "refused_unsigned", "refused_forged", "refused_replay", "refused_ip")


def counter(provider: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("chesanto_webhook_callbacks_total", {"provider": provider, "outcome": outcome})
    return value or 0.0


class Callbacks:
    """chesanto_webhook_callbacks_total, as counted since the test began."""

    def __init__(self):
        self.start = {(p, o): counter(p, o) for p in ("postmark", "twilio", "africastalking") for o in OUTCOMES}

    def since_start(self, provider: str) -> dict[str, float]:
        counts = {o: counter(provider, o) - self.start[(provider, o)] for o in OUTCOMES}
        return {o: n for o, n in counts.items() if n}


@pytest.fixture
def callbacks() -> Callbacks:
    return Callbacks()


@pytest.fixture
def email_log(db):
    def make(**fields) -> EmailLog:
        defaults = {
            "recipient": f"baker-{uuid.uuid4().hex[:8]}@example.com", "subject": "Your order", "template": "sales_order_confirmed",
            "event_id": uuid.uuid4(), "status": "SENT", "provider": "postmark", "provider_message_id": str(uuid.uuid4()),
            "delivered_at": timezone.now() - timedelta(minutes=10),  # set at send time, as the consumer does
        }
        return EmailLog.objects.create(**{**defaults, **fields})
    return make


@pytest.fixture
def sms_log(db):
    def make(provider: str, message_id: str, **fields) -> SMSLog:
        defaults = {
            "phone_number": "+254712345678", "message": "Your order is on its way", "template": "dispatch_delivery_assigned",
            "event_id": uuid.uuid4(), "status": "SENT", "provider": provider, "provider_message_id": message_id,
            "delivered_at": timezone.now() - timedelta(minutes=10),
        }
        return SMSLog.objects.create(**{**defaults, **fields})
    return make


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """As Twilio signs (its docs, "Validating requests"): URL + name+value of each POST field by name."""
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def basic_auth(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()
