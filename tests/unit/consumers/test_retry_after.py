"""A provider's Retry-After reaches the retry schedule: the channel sequence carries the longest
wait a transient error asked for, and the retry policy waits that long when it is longer than
its own delay (up to MAX_ASKED_DELAY)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from consumers.delivery import LoggedChannel
from consumers.email.models import EmailLog
from consumers.events import InboundEvent
from consumers.notifications import Notification, recipients_from
from consumers.outcomes import Verdict
from consumers.providers import Sent, TransientError
from consumers.retry import MAX_ASKED_DELAY, RetryPolicy
from outbox.events import get_event_type
from outbox.events.samples import sample


def test_the_schedule_waits_longer_only_when_the_provider_asked_for_longer():
    policy = RetryPolicy(max_retries=3, delay_seconds=10)
    assert [policy.delay(n) for n in (1, 2, 3)] == [10, 20, 40]
    assert policy.delay(1, asked=None) == 10
    assert policy.delay(1, asked=3) == 10  # shorter than the schedule: the schedule wins
    assert policy.delay(2, asked=90) == 90
    assert policy.delay(1, asked=10 * MAX_ASKED_DELAY) == MAX_ASKED_DELAY  # a nonsense Retry-After is capped


class _Busy(LoggedChannel):
    """A channel whose provider answers each recipient with a transient error, asking for a wait."""

    name = label = "fake"
    log_model = EmailLog
    template_extensions = (".txt",)
    notifications = {"inventory.stock_low": [Notification("fake_low_stock", "fake/low_stock", recipients_from("recipients"))]}

    def __init__(self, waits: dict[str, float | None]):
        self.waits = waits

    def render(self, notification, event, recipient):
        return "text"

    def send(self, message, recipient, entry) -> Sent:
        if recipient not in self.waits:
            return Sent(provider_message_id="ok")
        raise TransientError("busy", retry_after=self.waits[recipient])


def _alert(*emails: str) -> InboundEvent:
    event_type = "inventory.stock_low"
    data = get_event_type(event_type).parse({**sample(event_type), "recipients": list(emails)})
    return InboundEvent(id=uuid.uuid4(), type=event_type, key="k", data=data, headers={},
                        emitted_at=datetime.now(timezone.utc))


@pytest.mark.django_db
def test_delivery_carries_the_longest_wait_a_provider_asked_for():
    delivery = _Busy({"a@example.com": 5, "b@example.com": 30, "c@example.com": None}).deliver(
        _alert("a@example.com", "b@example.com", "c@example.com", "d@example.com"), final_attempt=False)
    assert delivery.verdict is Verdict.RETRY and delivery.retry_after == 30
    assert EmailLog.objects.get(recipient="d@example.com").status == "SENT"


@pytest.mark.django_db
def test_no_wait_when_nobody_asked_or_on_the_last_attempt():
    assert _Busy({"a@example.com": None}).deliver(_alert("a@example.com"), final_attempt=False).retry_after is None
    last = _Busy({"a@example.com": 30}).deliver(_alert("a@example.com"), final_attempt=True)
    assert last.verdict is Verdict.DONE and last.retry_after is None  # FAILED now: nothing to wait for
