"""What operators see and do: trace context and actor on the wire, /metrics, outbox_status,
and retention (outbox_purge, and the relay's own purge)."""
from __future__ import annotations

import io
import json
import re
import signal
import urllib.request
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from chesanto_comms.embedded.ports import free_port
from outbox import emit
from outbox.models import OutboxEvent
from outbox.tracing import traceparent_context
from tests.integration.relay.conftest import keys_for, read_topic, wait_connected, wait_for_shares, wait_published
from tests.support.sockets import listening_hosts
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Actor:
    pk = 42


def test_trace_context_and_actor_travel_as_kafka_headers(relay_env, relays):
    key = keys_for("trace", 1)[0]
    with traceparent_context(TRACEPARENT):
        traced = str(emit("auth.otp_requested", {"email": key, "name": "T", "code": "1234"}, actor=Actor()))
    untraced = str(emit("auth.otp_requested", {"email": key, "name": "U", "code": "1234"}))
    relays.start(relay_env)
    wait_published([traced, untraced])
    records = {r.ce_id: r for r in read_topic(f"{relay_env['OUTBOX_TOPIC_PREFIX']}auth", {traced, untraced})}
    headers = records[traced].headers
    assert headers["traceparent"] == TRACEPARENT.encode()
    assert headers["trace_id"] == b"4bf92f3577b34da6a3ce929d0e0e4736" and headers["ce_actor"] == b"42"
    fresh = records[untraced].headers  # no trace current at emit: a new one was started
    assert re.fullmatch(rb"00-[0-9a-f]{32}-[0-9a-f]{16}-01", fresh["traceparent"]) and "ce_actor" not in fresh


def test_metrics_endpoint_reports_backlog_publishing_latency_and_shards(relay_env, relays):
    port = free_port()
    relay = relays.start({**relay_env, "RELAY_METRICS_PORT": str(port)})
    wait_connected(relay)
    keys = keys_for("metrics", 5)
    ids = [str(emit("auth.otp_requested", {"email": k, "name": "M", "code": "1234"})) for k in keys]
    wait_published(ids)
    text = wait_until(lambda: _scrape(port), what="/metrics")
    assert listening_hosts(port) == {"127.0.0.1"}  # RELAY_METRICS_ADDRESS's default: loopback only
    metrics = dict(re.findall(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", text, re.M))
    assert float(metrics["relay_shards_owned"]) == 32
    assert float(metrics["outbox_backlog_events"]) == 0 and float(metrics["outbox_parked_events"]) == 0
    assert "outbox_oldest_unpublished_age_seconds" in metrics
    published = sum(float(v) for k, v in metrics.items() if k.startswith("relay_published_events_total"))
    assert published >= len(ids)
    assert float(metrics["relay_commit_to_ack_seconds_count"]) >= len(ids)
    assert any(k.startswith("relay_commit_to_ack_seconds_bucket") for k in metrics)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        health = json.loads(response.read())
    assert response.status == 200 and health["status"] == "ok" and health["connected"] is True


def test_metrics_listen_on_relay_metrics_address(relay_env, relays):
    port = free_port()
    relays.start({**relay_env, "RELAY_METRICS_PORT": str(port), "RELAY_METRICS_ADDRESS": "127.0.0.2"})
    wait_until(lambda: listening_hosts(port), what="the metrics server")
    assert listening_hosts(port) == {"127.0.0.2"}
    with urllib.request.urlopen(f"http://127.0.0.2:{port}/metrics", timeout=5) as response:
        assert response.status == 200 and "relay_shards_owned" in response.read().decode()


def test_outbox_status_names_the_relays_and_their_shards(relay_env, relays):
    first, second = relays.start(relay_env), relays.start(relay_env)
    wait_for_shares([16, 16])
    out = _command("outbox_status")
    assert "relays             2 alive, 32 shards" in out
    for relay in (first, second):
        assert re.search(rf"chesanto-relay \S+:{relay.process.pid}\s+16 shards: ", out), out
    assert "unowned" not in out


def test_outbox_purge_deletes_only_old_published_rows():
    key = keys_for("purge", 1)[0]
    old_published, new_published, old_pending = (
        str(emit("auth.otp_requested", {"email": key, "name": f"n{i}", "code": "1234"})) for i in range(3))
    long_ago = timezone.now() - timedelta(days=10)
    OutboxEvent.objects.filter(pk=old_published).update(created_at=long_ago, published_at=long_ago)
    OutboxEvent.objects.filter(pk=new_published).update(published_at=timezone.now())
    OutboxEvent.objects.filter(pk=old_pending).update(created_at=long_ago)
    assert "1 published rows are older than" in _command("outbox_purge", "--older-than", "7d", "--dry-run")
    assert "purged 1 published rows" in _command("outbox_purge", "--older-than", "7d", "--batch-size", "1")
    assert set(map(str, OutboxEvent.objects.filter(aggregateid=key).values_list("pk", flat=True))) == {
        new_published, old_pending}
    with pytest.raises(Exception, match="use a number with s, m, h or d"):
        _command("outbox_purge", "--older-than", "soon")


def test_the_relay_purges_its_shards_old_published_rows(relay_env, relays):
    keys = keys_for("relay-purge", 20)
    ids = [str(emit("auth.otp_requested", {"email": k, "name": "P", "code": "1234"})) for k in keys]
    relay = relays.start({**relay_env, "RELAY_PURGE_INTERVAL": "0.5", "OUTBOX_RETENTION_HOURS": "0.0003",
                          "OUTBOX_PURGE_BATCH": "7"})  # ~1 s of retention, several batches
    wait_until(lambda: not OutboxEvent.objects.filter(pk__in=ids).exists(), timeout=30,
               what="the relay to purge what it published")
    assert relay.stop(signal.SIGTERM) == 0 and "purged" in relay.log()


def _scrape(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    return text if "relay_commit_to_ack_seconds_count" in text else None


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
