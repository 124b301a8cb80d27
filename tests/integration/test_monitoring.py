"""Monitoring of the channel consumers: Prometheus series, /healthz, and log lines that name their event."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from chesanto_comms.embedded.ports import free_port
from consumers.email.models import EmailLog
from outbox import emit
from tests.support.processes import ManagedProcess
from tests.support.sockets import listening_hosts
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CONSUMER_SERIES = [
    "chesanto_consumer_records_total", "chesanto_sends_total", "chesanto_send_seconds_bucket",
    "chesanto_consumer_lag", "chesanto_consumer_in_flight",
]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_consumer_serves_metrics_and_health_and_logs_json_with_event_ids(comms_env, unique_email):
    port = free_port()
    env = {**comms_env, "CONSUMER_GROUP_PREFIX": comms_env["CONSUMER_GROUP_PREFIX"] + "monitoring-",
           "CONSUMER_METRICS_PORT": str(port), "LOG_FORMAT": "json"}
    relay = ManagedProcess("relay", env=env)
    consumer = ManagedProcess("consume", "email", env=env)
    try:
        wait_until(lambda: "serving /metrics" in consumer.log(), timeout=30, what="the status server")
        assert listening_hosts(port) == {"127.0.0.1"}  # CONSUMER_METRICS_ADDRESS's default: loopback only
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok" and json.loads(body)["channel"] == "email"

        address = unique_email("metrics")
        event_id = emit("auth.otp_requested", {"email": address, "name": "Metrics", "code": "112233"})
        wait_until(lambda: EmailLog.objects.filter(event_id=event_id, status="SENT").exists(), timeout=40, what="delivery")

        def series_present():
            _, text = get(f"http://127.0.0.1:{port}/metrics")
            return all(name in text for name in CONSUMER_SERIES) and text
        text = wait_until(series_present, timeout=15, what="every consumer series")
        assert 'chesanto_sends_total{channel="email",outcome="SENT",provider="smtp",template="auth_otp"}' in text
        assert get(f"http://127.0.0.1:{port}/nope")[0] == 404

        lines = [json.loads(line) for line in consumer.log().splitlines() if line.startswith("{")]
        about_event = [line for line in lines if str(event_id) in line.get("message", "")]
        assert about_event and all(line["event_id"] == str(event_id) for line in about_event)
        assert {"time", "level", "name", "trace_id"} <= set(about_event[0])
    finally:
        codes = [relay.stop(), consumer.stop()]
    assert codes == [0, 0]
