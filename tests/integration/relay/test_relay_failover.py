"""A relay killed with SIGKILL: PostgreSQL frees its shard locks at once and the survivors take them."""
from __future__ import annotations

import signal
import zlib

import pytest

from chesanto_comms.conf import comms
from tests.integration.relay.conftest import (
    assert_per_key_order,
    emit_sequences,
    keys_for,
    read_topic,
    shares,
    wait_for_shares,
    wait_published,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_survivors_take_a_killed_relays_shards_and_lose_nothing(relay_env, relays):
    procs = [relays.start(relay_env) for _ in range(3)]
    wait_for_shares([11, 11, 10])
    keys = keys_for("failover", 60)
    expected = emit_sequences(keys, 20, chunk=200)
    victim = procs[0]
    victim_shards = _shards_of(victim.process.pid)
    assert any(zlib.crc32(key.encode()) % comms.OUTBOX_SHARDS in victim_shards for key in keys)

    assert victim.stop(signal.SIGKILL) == -signal.SIGKILL  # mid-stream, perhaps mid-batch
    during = emit_sequences(keys, 20, start=20, chunk=200)
    wait_for_shares([16, 16])  # the victim's session ended: its locks went with it
    assert victim.process.pid not in shares()
    after = emit_sequences(keys, 10, start=40, chunk=200)
    for key in keys:
        expected[key] += during[key] + after[key]
    every_id = {event_id for ids in expected.values() for event_id in ids}

    wait_published(every_id)
    assert_per_key_order(read_topic(f"{relay_env['OUTBOX_TOPIC_PREFIX']}auth", every_id), expected)
    assert all(p.running for p in procs[1:])


def _shards_of(os_pid: int) -> set[int]:
    from django.db import connection

    from relay.shards import ownership

    def owned() -> set[int]:
        with connection.cursor() as cursor:
            owners = ownership(cursor).owners
        return {s for s, h in owners.items() if (h.application_name or "").endswith(f":{os_pid}")}

    return wait_until(owned, timeout=5, what="the victim's shards")
