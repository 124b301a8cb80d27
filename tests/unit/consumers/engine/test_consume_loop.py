"""The consume loop's decisions (consumers/loop.py), driven through the in-memory broker
(consumers/testing/memory_broker.py): the real ChannelConsumer, its lanes and senders (consumers/workers.py),
its offset tracking (consumers/offsets.py) and the real database; a fake provider behind a LoggedChannel.

Each test runs the loop on a thread of its own and stops it at the end; the tests wait for what the loop
does, never for a fixed time (two retry records are due 0.6 s after they are published). The lanes, the lease and the loop write from threads of
their own, so the rows must be committed for real: rather than a transactional test's flush of every table
(~2 s a test), each test runs in an ordinary test transaction (its own reads) and the `database` fixture
deletes the rows this module's fake channel committed."""
from __future__ import annotations

import json
import threading
import time
import uuid
import zlib
from datetime import datetime, timezone

import pytest
from django.db import connection

from chesanto_comms.topics import topic_for
from consumers import dead_letters, retry
from consumers.channel_settings import DeliverySettings
from consumers.delivery import LoggedChannel
from consumers.email.models import EmailLog
from consumers.loop import ChannelConsumer
from consumers.models import DeadLetter, DeliveryProcess
from consumers.notifications import Notification, recipients_from
from consumers.providers import Sent, TransientError
from consumers.testing.memory_broker import MemoryBroker
from consumers.workers import LANES
from outbox.events.samples import sample

pytestmark = pytest.mark.django_db  # the loop's threads commit on connections of their own; see `database`


EVENT_TYPE = "auth.account_approved"
GROUP = "memory-fake"
WAIT = 8.0  # seconds any one expectation may take before the test fails


class Provider:
    """What the fake channel's sends do: succeed, fail transiently once, or block until released."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent: list[str] = []  # recipients the provider took, in order
        self.calls: list[str] = []  # every send called, taken or not
        self.fail_once: set[str] = set()
        self.gates: dict[str, tuple[threading.Event, threading.Event]] = {}  # recipient -> (in its call, released)

    def block(self, recipient: str) -> tuple[threading.Event, threading.Event]:
        self.gates[recipient] = (threading.Event(), threading.Event())
        return self.gates[recipient]

    def release_all(self) -> None:
        for _, released in self.gates.values():
            released.set()

    def send(self, recipient: str) -> Sent:
        with self.lock:
            self.calls.append(recipient)
        if recipient in self.gates:
            in_call, released = self.gates[recipient]
            in_call.set()
            assert released.wait(WAIT), f"the send to {recipient} was never released"
        with self.lock:
            if recipient in self.fail_once:
                self.fail_once.discard(recipient)
                raise TransientError("451 try again later")
            self.sent.append(recipient)
        return Sent(provider_message_id=f"id-{recipient}")


class FakeChannel(LoggedChannel):
    """Reads the auth topic; renders nothing for addresses starting "unrenderable"."""

    name = label = "fake"
    log_model = EmailLog
    template_extensions = (".txt",)
    notifications = {EVENT_TYPE: [Notification("fake_approved", "fake/approved", recipients_from("email"))]}
    delivery = DeliverySettings(concurrency=4, timeout=2.0, max_retries=3, retry_delay=0, log_retention_days=1)

    def __init__(self, provider: Provider):
        self.provider = provider

    def render(self, notification, event, recipient):
        if recipient.startswith("unrenderable"):
            raise ValueError("the template needs a field this event lacks")
        return "text"

    def send(self, message, recipient, entry) -> Sent:
        return self.provider.send(recipient)


def source_topic() -> str:
    """The auth domain's topic as the loop names it now (the session's settings give it a prefix of its own,
    after this module is imported)."""
    return topic_for("auth")


def retry_topic() -> str:
    return retry.retry_topic("fake")


def event_record(email: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    payload = {k: v for k, v in sample(EVENT_TYPE).items() if k != "user_id"} | {"email": email}
    headers = [("ce_specversion", b"1.0"), ("ce_id", str(uuid.uuid4()).encode()), ("ce_type", EVENT_TYPE.encode()),
               ("ce_time", datetime.now(timezone.utc).isoformat().encode())]
    return json.dumps(payload).encode(), headers


def keys_in_distinct_lanes(count: int) -> list[bytes]:
    """Keys the workers put in `count` different lanes (lane = crc32(key) % lanes, consumers/workers.py)."""
    keys, lanes, lane_count = [], set(), min(LANES, FakeChannel.delivery.concurrency)
    for n in range(1000):
        key = f"key-{n}".encode()
        if zlib.crc32(key) % lane_count not in lanes:
            lanes.add(zlib.crc32(key) % lane_count)
            keys.append(key)
            if len(keys) == count:
                return keys
    raise AssertionError("not enough lanes")


def forget_rows() -> None:
    """Delete the rows this module's channel writes, on a connection of its own (autocommit)."""
    def forget():
        try:
            EmailLog.objects.filter(template="fake_approved").delete()
            DeadLetter.objects.filter(channel="fake").delete()
            DeliveryProcess.objects.filter(role="fake").delete()
        finally:
            connection.close()

    thread = threading.Thread(target=forget)
    thread.start()
    thread.join()


@pytest.fixture
def database():
    forget_rows()
    yield
    forget_rows()


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker(partitions=1)


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def loop(database, broker, provider):
    """The loop, running on its thread, once it holds its partitions; stopped (and checked) at the end."""
    consumer = ChannelConsumer("fake", group_id=GROUP, metrics_port=0, channel_factory=lambda: FakeChannel(provider),
                               consumer_factory=broker.Consumer, producer_factory=broker.Producer,
                               topic_creator=broker.ensure_topics)
    failures: list[BaseException] = []

    def run():
        try:
            consumer.run()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="consume-loop", daemon=True)
    thread.start()
    broker.wait_for(lambda: broker.consumers and len(broker.consumers[0].assignment()) == 2, WAIT,
                    "the loop to hold the source and retry partitions")
    consumer.thread = thread
    yield consumer
    provider.release_all()
    stop(consumer)
    assert not failures, f"the consume loop failed: {failures[0]!r}"


def stop(consumer: ChannelConsumer) -> None:
    consumer.stop()
    consumer.thread.join(WAIT + consumer.delivery.timeout + 5)
    assert not consumer.thread.is_alive(), "the consume loop did not stop"


def stored(broker: MemoryBroker, topic: str) -> list[int]:
    return [offset for group, t, _, offset in broker.stored if (group, t) == (GROUP, topic)]


def test_a_later_record_done_first_does_not_move_the_stored_offset_past_an_earlier_one(loop, broker, provider):
    slow_key, quick_key = keys_in_distinct_lanes(2)  # two lanes: the quick one is not queued behind the slow one
    in_call, released = provider.block("slow@example.com")
    value, headers = event_record("slow@example.com")
    broker.publish(source_topic(), value, slow_key, headers)
    value, headers = event_record("quick@example.com")
    broker.publish(source_topic(), value, quick_key, headers)

    assert in_call.wait(WAIT)
    broker.wait_for(lambda: loop.handled == 1, WAIT, "the quick record to be handled")
    assert provider.sent == ["quick@example.com"]
    assert stored(broker, source_topic()) == []  # offset 1 is done, offset 0 is not: nothing may be stored

    released.set()
    broker.wait_for(lambda: stored(broker, source_topic()), WAIT, "an offset to be stored")
    assert stored(broker, source_topic()) == [2]  # straight past both, never 1
    stop(loop)
    assert broker.committed(GROUP)[(source_topic(), 0)] == 2
    assert sorted(EmailLog.objects.filter(template="fake_approved").values_list("recipient", "status")) == [
        ("quick@example.com", "SENT"), ("slow@example.com", "SENT")]


def test_a_transient_failure_is_republished_to_the_retry_topic_and_its_offset_stored_only_once_acknowledged(
        loop, broker, provider):
    provider.fail_once.add("flaky@example.com")
    value, headers = event_record("flaky@example.com")
    original = broker.publish(source_topic(), value, b"flaky-key", headers)
    broker.hold_acks()

    pending = broker.wait_for(broker.unacknowledged, WAIT, "the retry copy to be produced")
    copy, = pending
    assert stored(broker, source_topic()) == [] and loop.handled == 0  # not before the broker has the copy
    assert copy.topic() == retry_topic() and copy.key() == b"flaky-key" and copy.value() == value
    assert copy.header("ce_id") == original.header("ce_id")
    assert copy.header(retry.ATTEMPT) == b"1"
    assert copy.header(retry.SOURCE) == f"{source_topic()}:0:0".encode()
    assert copy.header(retry.LAST_ERROR) == b"transient failure"
    assert retry.check_retry_headers({k: (v or b"").decode() for k, v in copy.headers()}) == 1

    broker.release_acks()
    broker.wait_for(lambda: stored(broker, source_topic()) == [1], WAIT, "the source offset to be stored")
    broker.wait_for(lambda: stored(broker, retry_topic()) == [1], WAIT, "the retry record to be delivered")
    assert provider.calls == ["flaky@example.com", "flaky@example.com"]
    assert provider.sent == ["flaky@example.com"]
    assert [m.topic() for m in broker.messages(retry_topic())] == [retry_topic()]  # one copy, not another retry
    row = EmailLog.objects.get(template="fake_approved", recipient="flaky@example.com")
    assert (row.status, row.retry_count) == ("SENT", 1)


def test_poison_records_and_dead_letter_verdicts_go_to_the_dead_letter_topic(loop, broker, provider):
    dlq_topic = dead_letters.dead_letter_topic(source_topic())
    _, poison_headers = event_record("poison@example.com")
    broker.hold_acks()
    broker.publish(source_topic(), b"{not json", b"k1", poison_headers)  # poison: dead-lettered as read
    broker.wait_for(broker.unacknowledged, WAIT, "the poison record's dead-letter copy to be produced")
    assert stored(broker, source_topic()) == []  # not before the dead-letter topic has it
    broker.release_acks()
    unrenderable, unrenderable_headers = event_record("unrenderable@example.com")
    broker.publish(source_topic(), unrenderable, b"k2", unrenderable_headers)  # cannot be rendered: a DEAD_LETTER verdict
    ok, ok_headers = event_record("ok@example.com")
    broker.publish(source_topic(), ok, b"k3", ok_headers)

    broker.wait_for(lambda: stored(broker, source_topic())[-1:] == [3], WAIT, "all three handled")
    dlq = broker.messages(dlq_topic)
    assert [(m.key(), m.value(), m.header(dead_letters.ERROR_CLASS), m.header(dead_letters.SOURCE_OFFSET)) for m in dlq] == [
        (b"k1", b"{not json", b"PoisonRecord", b"0"), (b"k2", unrenderable, b"RenderFailed", b"1")]
    assert all(m.header(dead_letters.SOURCE_TOPIC) == source_topic().encode() for m in dlq)
    assert dlq[0].header("ce_id") == dict(poison_headers)["ce_id"]  # the record's own headers travel with it
    assert provider.sent == ["ok@example.com"]
    assert set(DeadLetter.objects.filter(channel="fake").values_list("offset", "error_class")) == {
        (0, "PoisonRecord"), (1, "RenderFailed")}
    assert broker.messages(retry_topic()) == []


def test_a_retry_record_without_our_headers_is_dead_lettered_at_once_without_pausing_its_partition(
        loop, broker, provider):
    value, headers = event_record("forged@example.com")
    broker.publish(retry_topic(), value, b"k", headers + [(retry.NOT_BEFORE, b"99999999999999")])  # no attempt, no source

    broker.wait_for(lambda: stored(broker, retry_topic()) == [1], WAIT, "the forged retry record to be handled")
    dlq = broker.messages(dead_letters.dead_letter_topic(retry_topic()))
    assert [(m.header(dead_letters.ERROR_CLASS), m.header(dead_letters.SOURCE_TOPIC)) for m in dlq] == [
        (b"PoisonRecord", retry_topic().encode())]
    assert b"bad retry headers" in dlq[0].header(dead_letters.ERROR)
    assert broker.consumers[0].paused() == set()
    assert provider.calls == []


def test_on_revoke_queued_records_are_dropped_and_the_one_in_its_call_finishes_and_is_committed(
        loop, broker, provider):
    in_call, released = provider.block("first@example.com")
    value, headers = event_record("first@example.com")
    broker.publish(source_topic(), value, b"one-key", headers)
    assert in_call.wait(WAIT)
    for email in ("second@example.com", "third@example.com"):  # one key: queued for the lane busy with the first
        value, headers = event_record(email)
        broker.publish(source_topic(), value, b"one-key", headers)
    fetched = lambda: [o for g, t, _, o in broker.fetched if t == source_topic()]  # noqa: E731
    broker.wait_for(lambda: fetched() == [0, 1, 2], WAIT, "the loop to read all three")
    broker.rebalance(GROUP)  # revoke everything, then assign it again (to this, the only member)
    broker.wait_for(lambda: loop._revoking, WAIT, "the loop to be revoking")  # fenced, waiting for the call
    assert broker.commits == []
    released.set()

    broker.wait_for(lambda: provider.sent == ["first@example.com", "second@example.com", "third@example.com"], WAIT,
                    "the dropped records to be read again and sent")
    broker.wait_for(lambda: stored(broker, source_topic())[-1:] == [3], WAIT, "the last offset to be stored")
    stop(loop)
    source_commits = [o for g, t, _, o in broker.commits if t == source_topic()]
    assert source_commits[0] == 1  # on revoke: the finished send's offset, not the dropped records'
    assert source_commits[-1] == 3
    assert fetched() == [0, 1, 2, 1, 2]  # the dropped two were read again from the committed offset
    assert provider.calls.count("second@example.com") == provider.calls.count("third@example.com") == 1
    assert [kind for _, kind, _ in broker.rebalances] == ["assign", "revoke", "assign", "revoke"]  # join, ours, close


def retry_record(email: str, due_in: float) -> tuple[bytes, list[tuple[str, bytes]]]:
    value, headers = event_record(email)
    return value, headers + [(retry.ATTEMPT, b"1"), (retry.NOT_BEFORE, str(int((time.time() + due_in) * 1000)).encode()),
                             (retry.SOURCE, f"{source_topic()}:0:5".encode()), (retry.LAST_ERROR, b"transient failure")]


def test_a_retry_not_yet_due_pauses_only_its_partition_and_is_delivered_once_due(loop, broker, provider):
    value, headers = retry_record("later@example.com", due_in=0.6)
    broker.publish(retry_topic(), value, b"a", headers)
    broker.wait_for(lambda: (retry_topic(), 0) in broker.consumers[0].paused(), WAIT, "the retry partition to be paused")
    value, headers = event_record("now@example.com")
    broker.publish(source_topic(), value, b"b", headers)
    broker.wait_for(lambda: provider.sent == ["now@example.com"], WAIT, "the source record to be delivered meanwhile")
    assert stored(broker, retry_topic()) == []

    broker.wait_for(lambda: stored(broker, retry_topic()) == [1], WAIT, "the retry record to be delivered once due")
    assert provider.sent == ["now@example.com", "later@example.com"]
    assert (retry_topic(), 0) not in broker.consumers[0].paused()


def test_a_retry_partition_paused_when_a_rebalance_gives_it_back_is_read_again(loop, broker, provider):
    """librdkafka keeps a partition paused across a rebalance that returns it (the broker does too): the loop
    resumes newly assigned partitions, or a retry record waited for before the rebalance is never read."""
    value, headers = retry_record("waiting@example.com", due_in=0.6)
    broker.publish(retry_topic(), value, b"a", headers)
    broker.wait_for(lambda: (retry_topic(), 0) in broker.consumers[0].paused(), WAIT, "the retry partition to be paused")
    broker.rebalance(GROUP)
    broker.wait_for(lambda: [kind for _, kind, _ in broker.rebalances] == ["assign", "revoke", "assign"], WAIT,
                    "the partitions to come back")
    broker.wait_for(lambda: stored(broker, retry_topic()) == [1], WAIT, "the retry record to be delivered")
    assert provider.sent == ["waiting@example.com"]
    reads = [o for _, t, _, o in broker.fetched if t == retry_topic()]
    assert set(reads) == {0} and len(reads) >= 2  # read, revoked while waiting, read again (and again once due)
