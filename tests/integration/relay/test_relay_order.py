"""Several relays at once: shards divided fairly, every key published in order."""
from __future__ import annotations

import re
import signal

import pytest

from chesanto_comms.conf import comms
from outbox.models import OutboxEvent
from tests.integration.relay.conftest import (
    assert_per_key_order,
    emit_sequences,
    keys_for,
    read_topic,
    wait_connected,
    wait_for_shares,
    wait_published,
)
from tests.support.partitions import java_partition

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_three_relays_keep_each_keys_order_over_10k_events(relay_env, relays):
    keys = keys_for("order", 100)
    first = relays.start(relay_env)
    wait_connected(first)
    wait_for_shares([32])
    expected = emit_sequences(keys, 50)  # 5,000 events; the first relay starts on them alone
    second, third = relays.start(relay_env), relays.start(relay_env)  # they join while it drains
    wait_for_shares([11, 11, 10])
    later = emit_sequences(keys, 50, start=50)  # 5,000 more, for three relays
    for key in keys:
        expected[key] += later[key]
    every_id = {event_id for ids in expected.values() for event_id in ids}
    assert len(every_id) == 10_000

    wait_published(every_id, timeout=120)
    records = read_topic(f"{relay_env['OUTBOX_TOPIC_PREFIX']}auth", every_id)
    assert_per_key_order(records, expected)

    published = []
    for relay in (first, second, third):
        assert relay.stop(signal.SIGTERM) == 0, relay.log()
        published.append(int(re.search(r"relay stopped after publishing (\d+) events", relay.log()).group(1)))
    assert all(count > 0 for count in published), published  # each relay took part


def test_each_key_lands_on_the_partition_kafka_connect_would_choose(relay_env, relays):
    """murmur2, as Java's producer (and so Debezium) hashes: a switch to or from Debezium keeps each key's order."""
    keys = keys_for("partition", 40)
    ids = [event_id for sequence in emit_sequences(keys, 1).values() for event_id in sequence]
    relays.start(relay_env)
    wait_published(ids)
    rows = OutboxEvent.objects.filter(pk__in=ids).values_list("aggregateid", "kafka_partition")
    assert {key: partition for key, partition in rows} == {
        key: java_partition(key.encode(), comms.OUTBOX_TOPIC_PARTITIONS) for key in keys}
