"""Relays as real processes against the session's PostgreSQL and Kafka, and reading back what they published.

Each test gets its own topic prefix, so what it reads back is only what its relays sent.
"""
from __future__ import annotations

import signal
import uuid
from collections import defaultdict
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer, TopicPartition
from django.db import connection, transaction

from chesanto_comms.kafka import client_properties, consumer_properties, kafka_properties
from outbox import emit
from outbox.models import OutboxEvent
from relay.shards import ownership
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

# Quicker reactions than production's, so the tests do not sit in backoffs and retries.
FAST = {
    "RELAY_METRICS_PORT": "0",
    "RELAY_REBALANCE_INTERVAL": "0.5",
    "RELAY_BACKOFF_INITIAL": "0.1",
    "RELAY_BACKOFF_MAX": "1",
    "RELAY_RETRY_DELAY": "0.2",
    "RELAY_RETRY_MAX_DELAY": "0.5",
    "RELAY_POLL_INTERVAL": "0.5",
    "KAFKA_RECONNECT_BACKOFF_MAX_MS": "500",
}


@pytest.fixture
def relay_env(comms_env) -> dict[str, str]:
    """The session's settings, a topic prefix of this test's own, and fast reactions."""
    return {**comms_env, **FAST, "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{uuid.uuid4().hex[:6]}."}


@pytest.fixture
def relays():
    """Start relays with `relays.start(env, *args)`; every one is stopped when the test ends."""
    started: list[ManagedProcess] = []

    class Relays:
        def start(self, env: dict[str, str], *args: str) -> ManagedProcess:
            process = ManagedProcess("relay", *args, env=env)
            started.append(process)
            return process

    yield Relays()
    logs = []
    for process in started:
        code = process.stop(signal.SIGTERM)
        if code not in (0, -signal.SIGKILL):
            logs.append(f"relay exited {code}:\n{process.log()[-3000:]}")
    assert not logs, "\n".join(logs)


def wait_connected(relay: ManagedProcess, timeout: float = 30) -> None:
    wait_until(lambda: "listening for NOTIFY" in relay.log() or not relay.running, timeout=timeout,
               what="the relay to connect")
    assert relay.running, relay.log()


def emit_sequences(keys: list[str], per_key: int, chunk: int = 1000, start: int = 0) -> dict[str, list[str]]:
    """Emit `per_key` events for each key, interleaved, in transactions of `chunk`; key -> event ids in order.

    `name` carries the event's place in its key's sequence, to read it back from Kafka.
    """
    ids: dict[str, list[str]] = defaultdict(list)
    pending = [(n, key) for n in range(start, start + per_key) for key in keys]
    for at in range(0, len(pending), chunk):
        with transaction.atomic():
            for n, key in pending[at:at + chunk]:
                ids[key].append(str(emit("auth.otp_requested", {"email": key, "name": f"n{n}", "code": "1234"})))
    return dict(ids)


def keys_for(test: str, count: int) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    return [f"{test}-{tag}-{i}@example.com" for i in range(count)]


def published_count(ids) -> int:
    return OutboxEvent.objects.filter(pk__in=list(ids), published_at__isnull=False).count()


def wait_published(ids, timeout: float = 60, what: str = "every event published") -> None:
    ids = list(ids)
    wait_until(lambda: published_count(ids) == len(ids), timeout=timeout, interval=0.2, what=what)


def shares() -> dict[int, int]:
    """OS pid of each live relay -> how many shards it owns now (from its session's application_name)."""
    with connection.cursor() as cursor:
        state = ownership(cursor)
    counts = {_os_pid(m.application_name): 0 for m in state.members}
    for holder in state.owners.values():
        counts[_os_pid(holder.application_name)] = counts.get(_os_pid(holder.application_name), 0) + 1
    return counts


def _os_pid(application_name: str | None) -> int:
    return int((application_name or ":0").rsplit(":", 1)[1])


def wait_for_shares(expected: list[int], timeout: float = 30) -> dict[int, int]:
    """Until the live relays own these numbers of shards (in any order); returns pid -> count."""
    return wait_until(lambda: (now := shares()) and sorted(now.values()) == sorted(expected) and now,
                      timeout=timeout, interval=0.2, what=f"shares {sorted(expected)} (now {shares()})")


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: str
    ce_id: str
    value: bytes
    headers: dict[str, bytes]


def read_topic(topic: str, until_ids: set[str], timeout: float = 60, bootstrap: str | None = None) -> list[Record]:
    """Every record of `topic` from the start, read until all of `until_ids` were seen (or timeout).

    assign(), not subscribe(): no consumer group to join, no offsets committed.
    """

    props = kafka_properties({"KAFKA_BOOTSTRAP_SERVERS": bootstrap}) if bootstrap else dict(client_properties())
    consumer = Consumer(consumer_properties({**props, "group.id": f"reader-{uuid.uuid4().hex[:8]}",
                                             "enable.auto.commit": "false"}))
    try:
        metadata = consumer.list_topics(topic, timeout=15).topics[topic]
        consumer.assign([TopicPartition(topic, p, 0) for p in metadata.partitions])
        records: list[Record] = []
        missing = set(until_ids)

        def read_all() -> bool:
            for msg in consumer.consume(num_messages=5000, timeout=0.5):
                if msg.error():
                    continue
                headers = dict(msg.headers() or [])
                record = Record(msg.partition(), msg.offset(), msg.key().decode(), headers["ce_id"].decode(),
                                msg.value(), headers)
                records.append(record)
                missing.discard(record.ce_id)
            return not missing

        wait_until(read_all, timeout=timeout, interval=0, what=f"{len(missing)} events in {topic}")
        return records
    finally:
        consumer.close()


def assert_per_key_order(records: list[Record], expected: dict[str, list[str]]) -> dict[str, int]:
    """Every expected event is there and, duplicates dropped (first copy kept), each key reads in emit order.

    Returns how many duplicates each key had (at-least-once allows them).
    """
    seen: set[str] = set()
    by_key: dict[str, list[str]] = defaultdict(list)
    duplicates: dict[str, int] = defaultdict(int)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        if record.key not in expected:
            continue
        if record.ce_id in seen:
            duplicates[record.key] += 1
            continue
        seen.add(record.ce_id)
        by_key[record.key].append(record.ce_id)
    for key, ids in expected.items():
        got = by_key.get(key, [])
        lost = set(ids) - set(got)
        assert not lost, f"key {key}: {len(lost)} events never reached Kafka"
        assert got == ids, f"key {key} out of order: first difference at #{_first_difference(got, ids)}"
    return dict(duplicates)


def _first_difference(got: list[str], want: list[str]) -> int:
    return next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))

