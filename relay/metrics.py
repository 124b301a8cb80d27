"""The relay's Prometheus metrics, served on RELAY_METRICS_PORT.

Counters and the latency histogram are updated by the relay loop. Backlog figures are
read from the database when Prometheus scrapes (one short query on the partial index of
unpublished rows), so they are fresh even while the loop waits on a broker outage.
"""
from __future__ import annotations

import logging
import threading

import psycopg
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from chesanto_comms.status_server import HealthCheck, StatusServer
from outbox.stats import backlog
from relay import db

log = logging.getLogger(__name__)

PUBLISHED = Counter("relay_published_events", "Outbox events the broker acknowledged and the relay marked published",
                    ["topic"])
ERRORS = Counter("relay_errors", "Relay errors by kind: row (a row's own failure), broker (outage, timeout), "
                 "database (lost or failed connection), fatal (producer rebuilt), order_hazard", ["kind"])
PARKED = Counter("relay_parked_events", "Rows parked after RELAY_MAX_ATTEMPTS failures")
RELEASED = Counter("relay_released_events", "Scheduled events that came due and were moved into the outbox")
LATENCY = Histogram(
    "relay_commit_to_ack_seconds",
    "From the emitting INSERT (created_at, statement time) to the broker's acknowledgement",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
SHARDS_OWNED = Gauge("relay_shards_owned", "Outbox shards this relay owns")
BATCH_LIMIT = Gauge("relay_batch_limit", "The adaptive claim limit now")


class OutboxCollector:
    """Backlog, oldest unpublished age and parked rows, queried at scrape time."""

    def __init__(self):
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()

    def collect(self):
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = db.connect(connect_timeout=3)
                    self._conn.execute("SET statement_timeout = '5s'")
                with self._conn.cursor() as cursor:
                    pending, parked, oldest = backlog(cursor)
            except psycopg.Error as exc:
                log.warning("metrics: cannot read the backlog: %s", exc)
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                return
        yield GaugeMetricFamily("outbox_backlog_events", "Unpublished outbox rows, parked ones excluded", value=pending)
        yield GaugeMetricFamily("outbox_parked_events", "Parked outbox rows (see outbox_requeue)", value=parked)
        yield GaugeMetricFamily("outbox_oldest_unpublished_age_seconds",
                                "Age of the oldest unpublished row that is not parked (0 when none)",
                                value=oldest or 0.0)


_collector: OutboxCollector | None = None


def serve(port: int, address: str, health: HealthCheck) -> StatusServer | None:
    """Start /metrics and /healthz; a port in use is logged, not fatal (publishing matters more)."""
    global _collector
    if not port:
        return None
    if _collector is None:
        _collector = OutboxCollector()
        REGISTRY.register(_collector)
    try:
        return StatusServer(port, health, host=address).start()
    except OSError as exc:
        log.error("metrics endpoint not started on %s:%d: %s", address, port, exc)
        return None
