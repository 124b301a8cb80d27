"""A relay SIGKILLed mid-batch, again and again: every committed event still reaches Kafka at
least once, and each key reads in order once duplicate ce_ids are dropped."""
from __future__ import annotations

import random
import signal
import time

import pytest

from outbox.models import OutboxEvent
from tests.integration.relay.conftest import (
    assert_per_key_order,
    emit_sequences,
    keys_for,
    read_topic,
    wait_published,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KILLS = 20


def test_twenty_kills_mid_batch_lose_nothing_and_keep_each_keys_order(relay_env, relays):
    env = {**relay_env, "RELAY_BATCH_SIZE": "200"}  # many small batches: a kill lands inside one
    keys = keys_for("crash", 50)
    expected = emit_sequences(keys, 40)
    emitted = 40
    rng = random.Random()
    rows = OutboxEvent.objects.filter(aggregateid__in=keys)
    for _ in range(KILLS):
        if rows.filter(published_at__isnull=True).count() < 1000:
            more = emit_sequences(keys, 20, start=emitted)
            emitted += 20
            for key in keys:
                expected[key] += more[key]
        published = rows.filter(published_at__isnull=False).count()
        relay = relays.start(env)
        wait_until(lambda: rows.filter(published_at__isnull=False).count() > published or not relay.running,
                   timeout=30, interval=0.02, what="the relay to publish")
        time.sleep(rng.uniform(0, 0.05))
        assert relay.stop(signal.SIGKILL) == -signal.SIGKILL, relay.log()

    every_id = {event_id for ids in expected.values() for event_id in ids}
    relays.start(env)
    wait_published(every_id)
    duplicates = assert_per_key_order(read_topic(f"{env['OUTBOX_TOPIC_PREFIX']}auth", every_id), expected)
    print(f"{len(every_id)} events, {sum(duplicates.values())} duplicates after {KILLS} kills")
