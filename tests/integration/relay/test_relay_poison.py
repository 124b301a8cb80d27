"""Poison rows: retried RELAY_MAX_ATTEMPTS times, then parked with their error; only later rows of
the same key wait behind them; requeued by id, key or type."""
from __future__ import annotations

import io
import json
import signal

import pytest
from django.core.management import call_command

from chesanto_comms.conf import comms
from outbox import emit
from outbox.emitter import shard_of
from outbox.models import OutboxEvent
from tests.integration.relay.conftest import (
    assert_per_key_order,
    emit_sequences,
    keys_for,
    read_topic,
    wait_connected,
    wait_published,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOO_LARGE = "x" * 1_500_000  # over librdkafka's message.max.bytes (1,000,000): refused before it is queued


def insert_row(key: str, payload: dict, aggregatetype: str = "auth") -> str:
    """An outbox row written by hand (emit() would refuse it), shaped like emit's."""
    return str(OutboxEvent.objects.create(aggregatetype=aggregatetype, aggregateid=key, type="auth.otp_requested",
                                          payload=payload, headers={},
                                          shard=shard_of(key, comms.OUTBOX_SHARDS)).pk)


def normal(key: str, n: int) -> str:
    return str(emit("auth.otp_requested", {"email": key, "name": f"n{n}", "code": "1234"}))


def row(row_id: str) -> OutboxEvent:
    return OutboxEvent.objects.get(pk=row_id)


def parked(row_id: str) -> bool:
    return row(row_id).parked_at is not None


def test_a_poison_row_parks_only_its_key_until_requeued(relay_env, relays):
    a, b, c = keys_for("poison", 3)
    a1 = normal(a, 1)
    a2 = insert_row(a, {"name": TOO_LARGE})  # refused by the client
    a3 = normal(a, 3)
    c1 = insert_row(c, {"name": "n1"}, aggregatetype="no such domain")  # refused by the broker: invalid topic
    b_before = emit_sequences([b], 5)

    relay = relays.start({**relay_env, "RELAY_MAX_ATTEMPTS": "3"})
    wait_connected(relay)
    wait_until(lambda: parked(a2) and parked(c1), timeout=30, what="the poison rows to be parked")
    c2 = normal(c, 2)
    b_after = emit_sequences([b], 5, start=5)  # other keys flow...
    wait_published([a1, *b_before[b], *b_after[b]])
    assert row(a3).published_at is None and row(c2).published_at is None  # ...these wait behind their key

    assert (row(a2).attempts, row(c1).attempts) == (3, 3)
    assert "MSG_SIZE_TOO_LARGE" in row(a2).last_error
    assert "topic" in row(c1).last_error.lower()  # TOPIC_EXCEPTION from the broker, or _UNKNOWN_TOPIC once known
    status = json.loads(_command("outbox_status", "--json"))
    assert status["parked"] == 2 and {r["id"] for r in status["parked_rows"]} == {a2, c1}

    # Fixed by hand and requeued by key: it goes out, then the row that waited, in order.
    OutboxEvent.objects.filter(pk=a2).update(payload={"name": "smaller now"})
    assert "requeued 1 rows" in _command("outbox_requeue", "--key", a)
    wait_published([a2, a3])

    # Requeued by id without a fix: it fails its attempts again and parks again.
    assert "requeued 1 rows" in _command("outbox_requeue", "--id", c1)
    wait_until(lambda: row(c1).attempts == 3 and parked(c1), timeout=30, what="c1 to park again")
    assert row(c2).published_at is None

    expected = {a: [a1, a2, a3], b: b_before[b] + b_after[b]}
    records = read_topic(f"{relay_env['OUTBOX_TOPIC_PREFIX']}auth", {a3, *expected[b]})
    assert_per_key_order(records, expected)
    assert not [r for r in records if r.key == c]
    assert relay.stop(signal.SIGTERM) == 0, relay.log()
    assert "parked after 3 attempts" in relay.log()


def test_a_row_the_broker_refuses_for_its_size_is_parked(relay_env, relays, apache_kafka):
    """With the client's limit raised above the broker's (message.max.bytes 1048588), the broker itself refuses
    the record: Apache Kafka does (Tansu takes it, so this runs on Apache Kafka in either tier)."""
    env = {**{k: v for k, v in relay_env.items() if not k.startswith("KAFKA_")}, **apache_kafka.client_env,
           "KAFKA_BOOTSTRAP_SERVERS": apache_kafka.url, "KAFKA_MESSAGE_MAX_BYTES": "3000000", "RELAY_MAX_ATTEMPTS": "2"}
    key, other = keys_for("broker-size", 2)
    big = insert_row(key, {"name": "x" * 1_200_000})
    relay = relays.start(env)
    wait_until(lambda: parked(big), timeout=60, what="the oversized row to be parked")
    # Emitted once it is parked: a later row of its key produced in the same batch would be acknowledged
    # before the broker's refusal is known (the order hazard of docs/relay.md, logged as such).
    after = normal(key, 2)
    others = emit_sequences([other], 3)[other]
    wait_published(others)
    assert "MSG_SIZE_TOO_LARGE" in row(big).last_error and "Broker" in row(big).last_error
    assert row(after).published_at is None  # waits behind its key's parked row
    assert relay.stop(signal.SIGTERM) == 0, relay.log()


def test_requeue_chooses_failed_rows_by_type_and_leaves_the_rest():
    key = keys_for("requeue", 1)[0]
    waiting, pending = normal(key, 1), normal(key, 2)
    OutboxEvent.objects.filter(pk=waiting).update(attempts=2, last_error="boom", parked_at="2026-01-01T00:00:00Z")
    assert "1 rows would be requeued" in _command("outbox_requeue", "--type", "auth.otp_requested", "--dry-run")
    assert "requeued 1 rows" in _command("outbox_requeue", "--type", "auth.otp_requested")
    assert (row(waiting).attempts, row(waiting).parked_at, row(pending).attempts) == (0, None, 0)
    with pytest.raises(Exception, match="choose rows"):
        _command("outbox_requeue")


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
