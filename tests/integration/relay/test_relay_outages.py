"""Outages: the broker (one of the session's kind, of its own) or PostgreSQL cut off by a TCP proxy the
test controls (neither is stopped: the embedded broker keeps its data only in memory). The relay keeps running, backs off,
reconnects and resumes; nothing is marked published that the broker did not acknowledge,
and nothing is lost."""
from __future__ import annotations

import signal

import pytest
from django.conf import settings

from tests.integration.relay.conftest import (
    assert_per_key_order,
    emit_sequences,
    keys_for,
    published_count,
    read_topic,
    shares,
    wait_connected,
    wait_published,
)
from tests.support.services import proxied_kafka
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def proxied_broker(kafka):
    with proxied_kafka(kafka.kind) as proxied:
        yield proxied


def ids_of(sequences: dict[str, list[str]]) -> set[str]:
    return {event_id for ids in sequences.values() for event_id in ids}


def merge(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: [i for part in parts for i in part.get(key, [])] for key in parts[0]}


def test_a_broker_cut_is_ridden_out_without_loss(relay_env, relays, proxied_broker):
    proxy, client_env = proxied_broker
    env = {**relay_env, **client_env, "KAFKA_BOOTSTRAP_SERVERS": proxy.address,
           "KAFKA_MESSAGE_TIMEOUT_MS": "3000"}  # an outage longer than this fails records: the backoff path
    relay = relays.start(env)
    wait_connected(relay)
    keys = keys_for("broker-cut", 20)
    before = emit_sequences(keys, 10)
    wait_published(ids_of(before))

    proxy.cut()
    during = emit_sequences(keys, 25, start=10)
    wait_until(lambda: "relay broker error" in relay.log(), timeout=30, what="the relay to see the outage")
    assert relay.running
    assert published_count(ids_of(during)) == 0  # no ack, no mark

    proxy.restore()
    after = emit_sequences(keys, 5, start=35)
    expected = merge(before, during, after)
    wait_published(ids_of(expected))
    records = read_topic(f"{env['OUTBOX_TOPIC_PREFIX']}auth", ids_of(expected), bootstrap=proxy.address)
    assert_per_key_order(records, expected)
    assert relay.stop(signal.SIGTERM) == 0, relay.log()


def test_a_database_cut_is_ridden_out_without_loss(relay_env, relays):
    db = settings.DATABASES["default"]
    if not db.get("HOST") or db["HOST"].startswith("/"):
        pytest.skip("PostgreSQL is reached through a unix socket here; the proxy speaks TCP")
    with TcpProxy(int(db.get("PORT") or 5432), target_host=db["HOST"]) as proxy:
        env = {**relay_env, "DATABASE_URL": f"postgres://{db['USER']}@{proxy.address}/{db['NAME']}"}
        if db.get("PASSWORD"):
            env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{proxy.address}/{db['NAME']}"
        relay = relays.start(env)
        wait_connected(relay)
        keys = keys_for("db-cut", 20)
        before = emit_sequences(keys, 10)
        wait_published(ids_of(before))

        proxy.cut()
        wait_until(lambda: "relay database error" in relay.log(), timeout=30, what="the relay to see the outage")
        assert shares() == {}  # its session ended, and its shard locks with it
        during = emit_sequences(keys, 25, start=10)  # the application still writes (directly)
        assert relay.running

        proxy.restore()
        after = emit_sequences(keys, 5, start=35)
        expected = merge(before, during, after)
        wait_published(ids_of(expected))
        assert relay.stop(signal.SIGTERM) == 0, relay.log()
    records = read_topic(f"{env['OUTBOX_TOPIC_PREFIX']}auth", ids_of(expected))
    assert_per_key_order(records, expected)
