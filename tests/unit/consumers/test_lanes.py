"""A lane's batch (consumers/workers.py): each send settles on its own, a failed write is tried again
without sending again, and a fenced record is not sent. A fake provider; the real database."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone

import pytest
from django.db import OperationalError

from consumers import batch as batch_module
from consumers.batch import local_lease
from consumers.delivery import LoggedChannel
from consumers.email.models import EmailLog
from consumers.events import InboundEvent
from consumers.notifications import Notification, recipients_from
from consumers.outcomes import Verdict
from consumers.providers import Sent
from consumers.workers import Job, WorkerPool
from outbox.events import get_event_type

pytestmark = pytest.mark.django_db(transaction=True)  # a lane opens and closes connections as a consumer does


class FakeProvider(LoggedChannel):
    """Accepts each message after a moment; an address starting "broken-render" breaks the rendering, one
    starting "broken-call" the provider's client during its call."""

    name = label = "fake"
    log_model = EmailLog
    template_extensions = (".txt",)
    notifications = {"auth.otp_requested": [Notification("fake_otp", "fake/otp", recipients_from("email"))]}
    received: list[str] = []
    lock = threading.Lock()

    def render(self, notification, event, recipient):
        if recipient.startswith("broken-render"):
            raise KeyError("a bug in the template's context")
        return "your code"

    def send(self, message, recipient, entry) -> Sent:
        if recipient.startswith("broken-call"):
            raise KeyError("a bug in the provider's client")
        time.sleep(0.2)
        with self.lock:
            self.received.append(recipient)
        return Sent(provider_message_id=f"id-{recipient}")


@pytest.fixture
def pool():
    FakeProvider.received = []
    pool = WorkerPool(FakeProvider, size=4, stopping=threading.Event(), lease=local_lease())
    yield pool
    pool.shutdown()


def otp(email: str) -> Job:
    data = get_event_type("auth.otp_requested").parse({"email": email, "code": "4821"})
    event = InboundEvent(id=uuid.uuid4(), type="auth.otp_requested", key=email, data=data,
                         emitted_at=datetime.now(timezone.utc))
    return Job(msg=None, event=event, attempt=0, final_attempt=True)


def verdicts(outcomes) -> dict[str, Verdict]:
    return {o.job.event.data.email: o.verdict for o in outcomes}


def test_a_message_that_breaks_leaves_the_others_sent_and_logged(pool):
    jobs = [otp("broken-render@example.com"), otp("broken-call@example.com"), otp("a@example.com"), otp("b@example.com")]
    outcomes = list(pool._run(FakeProvider(), jobs))
    assert verdicts(outcomes) == {
        "broken-render@example.com": Verdict.DEAD_LETTER,  # before any call: dead-lettered, its row given back
        "broken-call@example.com": Verdict.RETRY,  # during the call: the provider may have it; an OTP's rule is resend
        "a@example.com": Verdict.DONE, "b@example.com": Verdict.DONE}
    assert sorted(FakeProvider.received) == ["a@example.com", "b@example.com"]
    rows = {r.recipient: (r.status, r.claimed, r.attempts, r.retry_count)
            for r in EmailLog.objects.filter(template="fake_otp")}
    assert rows == {"broken-render@example.com": ("PENDING", False, 0, 0), "broken-call@example.com": ("PENDING", False, 1, 1),
                    "a@example.com": ("SENT", False, 1, 0), "b@example.com": ("SENT", False, 1, 0)}


def test_a_write_the_database_refuses_once_is_tried_again_without_sending_again(pool, monkeypatch):
    real, calls = batch_module.finish_rows, []

    def dropped_once(entries, token):
        calls.append(len(entries))
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(entries, token)

    monkeypatch.setattr(batch_module, "finish_rows", dropped_once)
    monkeypatch.setattr("chesanto_comms.backoff.Backoff.next_delay", lambda self: 0.01)
    outcomes = list(pool._run(FakeProvider(), [otp("c@example.com"), otp("d@example.com")]))
    assert [o.verdict for o in outcomes] == [Verdict.DONE, Verdict.DONE]
    assert sorted(FakeProvider.received) == ["c@example.com", "d@example.com"]  # once each
    assert len(calls) >= 2
    assert set(EmailLog.objects.filter(template="fake_otp").values_list("status", flat=True)) == {"SENT"}


def test_a_record_of_a_revoked_partition_is_not_sent(pool):
    job = otp("e@example.com")
    job.fence.revoke()
    assert [o.verdict for o in pool._run(FakeProvider(), [job])] == [Verdict.ABANDONED]
    assert FakeProvider.received == [] and not EmailLog.objects.filter(recipient="e@example.com").exists()


def test_a_record_revoked_before_its_call_is_given_back_for_later(pool, monkeypatch):
    job = otp("f@example.com")
    monkeypatch.setattr(FakeProvider, "describe", lambda self, message, entry: job.fence.revoke())  # mid-way
    assert [o.verdict for o in pool._run(FakeProvider(), [job])] == [Verdict.LATER]
    row = EmailLog.objects.get(recipient="f@example.com")
    assert FakeProvider.received == [] and (row.status, row.claimed, row.attempts) == ("PENDING", False, 0)


def test_a_database_outage_while_finding_recipients_is_waited_out_not_dead_lettered(pool, monkeypatch):
    calls = []
    real = FakeProvider.notifications["auth.otp_requested"][0]

    def recipients(data):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return [data.email]

    monkeypatch.setattr(FakeProvider, "notifications", {"auth.otp_requested": [
        Notification(real.name, real.template, recipients)]})
    monkeypatch.setattr("chesanto_comms.backoff.Backoff.next_delay", lambda self: 0.01)
    assert [o.verdict for o in pool._run(FakeProvider(), [otp("g@example.com")])] == [Verdict.DONE]
    assert FakeProvider.received == ["g@example.com"] and len(calls) == 2
