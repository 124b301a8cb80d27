"""The relay benchmark (issue 3, item 10): `.venv/bin/python -m bench.relay_bench`.

One run, one scratch database on the local PostgreSQL, one embedded Tansu broker:

(a) drain: a backlog of --drain rows (shaped like emit's, written with one INSERT..SELECT)
    published by `manage.py relay --drain`, events/s, next to the raw confluent-kafka produce
    rate of the same records, the raw claim-query rate (the relay's CLAIM, rows fetched), and
    the claim + mark loop without Kafka (the database's ceiling for one relay); then as many rows
    written by emit() (100 per transaction) into an outbox table that has never been analysed (a
    young installation's first backlog), drained the same way: the plan must not need statistics;
(b) latency: emit() at a steady --rate events/s, one event per transaction; commit -> ack per
    event (the emitter notes each commit, the relay, in a process of its own, each ack);
(c) emit cost: emit() next to a bare INSERT of the same row, same connection, transactions of
    1 and of 100 rows, and with no transaction around either (autocommit: each statement its own);
(d) relay RSS while one relay process publishes --rss events, fed in rounds;
(e) failover: two relays, one SIGKILLed; time until the survivor owns every shard.

Figures and ratios are printed and saved under var/bench/relay/. See docs/relay.md.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

import psycopg

from bench.keys import run_keys
from bench.proc import cpu_seconds, rss_kb
from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also when run as bench/relay_bench.py

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench" / "relay"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DB_NAME = "chesanto_bench_relay"
KEYS = 1000
CLAIM_BATCH = 2000  # as RELAY_BATCH_SIZE
EMITTERS = 4  # threads emitting for (b), each its own connection
TARGETS = {"drain": 30_000, "drain_vs_claim": 0.6, "p50_ms": 10.0, "p99_ms": 50.0, "emit_ratio": 1.3,
           "rss_mb": 120.0, "failover_s": 10.0}

# Rows like emit's: the payload and headers of a real emit(), with key, trace and id varied per row.
FILL = """
INSERT INTO outbox_event (id, aggregatetype, aggregateid, type, payload, headers, shard)
SELECT gen_random_uuid(), 'auth', k.key, 'auth.otp_requested',
       jsonb_set(%(payload)s::jsonb, '{email}', to_jsonb(k.key)),
       jsonb_build_object('actor', NULL, 'traceparent', '00-' || md5(g::text) || '-' || left(md5('s' || g), 16) || '-01',
                          'trace_id', md5(g::text), 'schema_version', 1),
       k.shard
FROM generate_series(0, %(n)s - 1) AS g
JOIN unnest(%(keys)s::text[], %(shards)s::int[]) WITH ORDINALITY AS k(key, shard, i) ON k.i = g %% %(nkeys)s + 1
"""


# --- set-up ---------------------------------------------------------------------------------
def bench_env(bootstrap: str) -> dict[str, str]:
    return {
        **run_keys(),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),  # DEBUG is off: no development key
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "OUTBOX_TOPIC_PREFIX": f"bench-{uuid.uuid4().hex[:6]}.",
        "RELAY_METRICS_PORT": "0",
        "RELAY_PURGE_INTERVAL": "0",
        "DATABASE_CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
    }


def scratch_database(env: dict[str, str]) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env={**os.environ, **env}, check=True)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def connect() -> psycopg.Connection:
    from relay import db

    return db.connect()


class Backlog:
    """Writes N emit-shaped rows at once (the backlog a relay finds after an outage)."""

    def __init__(self):

        from outbox import emit
        from outbox.emitter import shard_of
        from outbox.models import OutboxEvent

        event_id = emit("auth.otp_requested", {"email": "template@bench.example", "name": "Bench User", "code": "123456"})
        self.payload = json.dumps(OutboxEvent.objects.get(pk=event_id).payload)
        OutboxEvent.objects.all().delete()
        self.keys = [f"user{i}@bench.example" for i in range(KEYS)]
        self.shards = [shard_of(k, comms.OUTBOX_SHARDS) for k in self.keys]

    def fill(self, conn: psycopg.Connection, n: int, truncate: bool = True) -> None:
        if truncate:
            conn.execute("TRUNCATE outbox_event")
        conn.execute(FILL, {"payload": self.payload, "n": n, "keys": self.keys, "shards": self.shards,
                            "nkeys": len(self.keys)})
        conn.execute("VACUUM ANALYZE outbox_event")


def backlog_left(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM outbox_event WHERE published_at IS NULL").fetchone()[0]


class CpuSampler:
    """CPU seconds of one relay process's PostgreSQL backends (its application_name ends with its pid)."""

    def __init__(self, relay_pid: int):
        self.name = f"chesanto-relay %:{relay_pid}"
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def total(self) -> float:
        return sum(self.cpu.values())

    def _run(self) -> None:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            while not self._stop.is_set():
                pids = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name LIKE %s AND datname = %s",
                                    (self.name, DB_NAME)).fetchall()
                for (pid,) in pids:
                    if seconds := cpu_seconds(pid):  # 0.0: the backend has gone; keep its last reading
                        self.cpu[pid] = seconds
                self._stop.wait(0.1)


def log_time(log: str, marker: str) -> float:
    line = next(line for line in log.splitlines() if marker in line)
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


# --- (a) drain ------------------------------------------------------------------------------
def part_drain(backlog: Backlog, n: int, env: dict[str, str]) -> dict:
    from confluent_kafka import Producer

    from chesanto_comms.kafka import producer_properties
    from relay import store
    from relay.publisher import PRODUCER_DEFAULTS, Ack
    from relay.records import record_for

    shards = list(range(comms.OUTBOX_SHARDS))
    result = {"events": n}
    with connect() as conn:
        backlog.fill(conn, n)
        store.claim(conn, shards, CLAIM_BATCH)  # warm
        repeats, start = 30, time.perf_counter()
        for _ in range(repeats):
            rows = store.claim(conn, shards, CLAIM_BATCH)
        result["claim_query"] = repeats * len(rows) / (time.perf_counter() - start)

        start, done = time.perf_counter(), 0
        while rows := store.claim(conn, shards, CLAIM_BATCH):
            store.mark_published(conn, [Ack(r.id, "t", 0, i) for i, r in enumerate(rows)])
            done += len(rows)
        result["claim_mark_loop"] = done / (time.perf_counter() - start)

        backlog.fill(conn, n)
        rows = store.claim(conn, shards, n)
        start = time.perf_counter()
        records = [record_for(row) for row in rows]
        result["build_records"] = n / (time.perf_counter() - start)
        producer = Producer(producer_properties({**PRODUCER_DEFAULTS, **client_properties()}))
        raw_topic = records[0].topic.replace(env["OUTBOX_TOPIC_PREFIX"], "raw-" + env["OUTBOX_TOPIC_PREFIX"])
        producer.produce(raw_topic, b"warm", b"warm")
        producer.flush(30)
        acked = [0]

        def count(err, msg):
            acked[0] += err is None

        start = time.perf_counter()
        for record in records:
            while True:
                try:
                    producer.produce(raw_topic, record.value, record.key, headers=record.headers, on_delivery=count)
                    break
                except BufferError:
                    producer.poll(0.05)
        producer.flush(120)
        result["raw_produce"] = acked[0] / (time.perf_counter() - start)
        del records, rows

        conn.execute("TRUNCATE outbox_event")
        idle_cpu, _ = run_relay_drain(env)  # start-up and shutdown alone, on an empty table
        backlog.fill(conn, n)
        cpu, log, pg_cpu = run_relay_drain(env, sample_postgres=True)
        if backlog_left(conn):
            raise RuntimeError(f"relay --drain left rows behind:\n{log[-3000:]}")
        seconds = log_time(log, "relay stopped after publishing") - log_time(log, "relay connected")
        result["relay"] = n / seconds
        result["relay_cpu_us"] = max(cpu - idle_cpu, 0.0) / n * 1e6
        result["postgres_cpu_us"] = pg_cpu / n * 1e6

        backlog.fill(conn, n)  # the same backlog for two relays: the shards split 16/16
        logs = run_relays_drain(env, 2)
        if backlog_left(conn):
            raise RuntimeError("two relays left rows behind")
        seconds = max(log_time(log, "relay stopped after publishing") for log in logs) - min(
            log_time(log, "relay connected") for log in logs)
        result["two_relays"] = n / seconds

        result.update(drain_never_analysed(conn, env, n))
    return result


def drain_never_analysed(conn: psycopg.Connection, env: dict[str, str], n: int) -> dict:
    """`n` rows by emit() into an outbox table without statistics (autovacuum held off), then
    `relay --drain`. The table is a fresh copy of outbox_event's definition swapped in for the run."""
    from django.db import connections, transaction

    from outbox import emit
    from relay import store

    conn.execute("DROP TABLE IF EXISTS outbox_event_analysed")
    conn.execute("CREATE TABLE outbox_event_fresh (LIKE outbox_event INCLUDING ALL) WITH (autovacuum_enabled = off)")
    conn.execute("ALTER TABLE outbox_event RENAME TO outbox_event_analysed")
    conn.execute("ALTER TABLE outbox_event_fresh RENAME TO outbox_event")
    connections.close_all()  # Django's session may hold plans for the old table
    try:
        for start in range(0, n, 100):
            with transaction.atomic():
                for i in range(start, min(start + 100, n)):
                    emit("auth.otp_requested", {"email": f"user{i % KEYS}@bench.example", "name": "Bench User",
                                                "code": "123456"})
        analysed = conn.execute("SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
                                "WHERE relname = 'outbox_event'").fetchone()[0]
        if analysed is not None:
            raise RuntimeError(f"the fresh outbox table was analysed at {analysed}; the measurement needs none")
        shards = list(range(comms.OUTBOX_SHARDS))
        first = store.claim(conn, shards, CLAIM_BATCH)
        start = time.perf_counter()  # the claim that excludes the unsettled batch is the one that went wrong
        rows = store.claim(conn, shards, CLAIM_BATCH, [row.seq for row in first])
        claim_with_unsettled = len(rows) / (time.perf_counter() - start)
        cpu, log = run_relay_drain(env)
        if backlog_left(conn):
            raise RuntimeError(f"relay --drain left rows behind on the fresh table:\n{log[-3000:]}")
        seconds = log_time(log, "relay stopped after publishing") - log_time(log, "relay connected")
        return {"fresh_events": n, "fresh_relay": n / seconds,
                "fresh_claim_unsettled": claim_with_unsettled}
    finally:
        connections.close_all()
        conn.execute("DROP TABLE outbox_event")
        conn.execute("ALTER TABLE outbox_event_analysed RENAME TO outbox_event")


def run_relay_drain(env: dict[str, str], sample_postgres: bool = False):
    """`manage.py relay --drain` to its end: (CPU seconds, its log[, CPU seconds of its database sessions])."""
    relay = subprocess.Popen([sys.executable, "manage.py", "relay", "--drain"], cwd=ROOT, env={**os.environ, **env},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(relay.stdout), daemon=True)
    reader.start()
    sampler = CpuSampler(relay.pid)
    with sampler if sample_postgres else _nothing():
        _, status, usage = os.wait4(relay.pid, 0)
    relay.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    log = "".join(out)
    if relay.returncode != 0:
        raise RuntimeError(f"relay --drain failed ({relay.returncode}):\n{log[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return (cpu, log, sampler.total) if sample_postgres else (cpu, log)


def run_relays_drain(env: dict[str, str], count: int) -> list[str]:
    """`count` relays with --drain started together; their logs once all have ended."""
    relays = [subprocess.Popen([sys.executable, "manage.py", "relay", "--drain"], cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(count)]
    logs = [relay.communicate()[0] for relay in relays]
    if any(relay.returncode for relay in relays):
        raise RuntimeError("a relay --drain failed:\n" + "\n".join(log[-2000:] for log in logs))
    return logs


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- (b) latency ----------------------------------------------------------------------------
def _latency_relay(env: dict[str, str], stop, acks_out) -> None:
    """The relay for (b), in a process of its own: notes when each row's ack arrived."""
    setup_django({**env, "LOG_LEVEL": "WARNING"})
    from relay.runner import Relay

    acks: dict[str, float] = {}

    class TimedRelay(Relay):
        def observe(self, rows, result):
            super().observe(rows, result)
            for ack in result.acks:
                acks.setdefault(ack.row_id, ack.acked_at)

    relay = TimedRelay(metrics_port=0)
    threading.Thread(target=lambda: (stop.wait(), relay.stop()), daemon=True).start()
    relay.run()
    acks_out.send(acks)


def part_latency(env: dict[str, str], rate: int, seconds: float) -> dict:
    from django.db import connection

    from outbox import emit
    from relay.shards import ownership

    ctx = multiprocessing.get_context("spawn")
    stop, (receiver, sender) = ctx.Event(), ctx.Pipe(duplex=False)
    child = ctx.Process(target=_latency_relay, args=(env, stop, sender))
    child.start()
    deadline = time.monotonic() + 60
    while True:
        with connection.cursor() as cursor:
            if len(ownership(cursor).owners) == 32:
                break
        if time.monotonic() > deadline:
            raise RuntimeError("the latency relay did not start")
        time.sleep(0.1)
    time.sleep(1.0)
    commits: dict[str, float] = {}
    total = int(rate * seconds)
    start = time.perf_counter()

    def emitter(lane: int) -> None:
        """Every EMITTERS-th event, on schedule; several lanes, so one slow commit does not delay the rest."""
        from django.db import connection as own

        try:
            for i in range(lane, total, EMITTERS):
                pause = start + i / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                event_id = emit("auth.otp_requested", {"email": f"user{i % KEYS}@bench.example", "name": "L", "code": "1234"})
                commits[str(event_id)] = time.time()  # emit() ran in a transaction of its own: committed
        finally:
            own.close()

    lanes = [threading.Thread(target=emitter, args=(lane,)) for lane in range(EMITTERS)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    achieved = total / (time.perf_counter() - start)
    with connect() as conn:
        deadline = time.monotonic() + 60
        while backlog_left(conn) and time.monotonic() < deadline:
            time.sleep(0.2)
    time.sleep(1.0)
    stop.set()
    acks = receiver.recv()
    child.join(30)
    latencies = sorted((acks[e] - commits[e]) * 1000 for e in commits if e in acks)
    if len(latencies) != total:
        raise RuntimeError(f"{total - len(latencies)} events were not acknowledged")
    q = statistics.quantiles(latencies, n=1000)
    return {"events": total, "rate": achieved, "p50_ms": q[499], "p90_ms": q[899], "p99_ms": q[989],
            "p999_ms": q[998], "max_ms": latencies[-1]}


# --- (c) emit cost --------------------------------------------------------------------------
BARE_INSERT = """INSERT INTO outbox_event (id, aggregatetype, aggregateid, type, payload, headers, shard)
VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s)"""


def part_emit(rows: int, repeats: int) -> dict:
    from django.db import connection, transaction

    from outbox import emit
    from outbox.emitter import _INSERT_AND_NOTIFY
    from outbox.models import OutboxEvent

    data = {"email": "user1@bench.example", "name": "Bench User", "code": "123456"}
    emit("auth.otp_requested", data)
    with connection.cursor() as cursor:  # the row emit() wrote, as it wrote it
        cursor.execute("SELECT aggregatetype, aggregateid, type, payload::text, headers::text, shard "
                       "FROM outbox_event ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()

    def by_emit(count):
        for _ in range(count):
            emit("auth.otp_requested", data)

    def by_sql(sql):
        def insert(count):
            with connection.cursor() as cursor:
                for _ in range(count):
                    cursor.execute(sql, (uuid.uuid4(), *row))
        return insert

    ways = {"emit": by_emit, "bare_insert": by_sql(BARE_INSERT), "insert_and_notify": by_sql(_INSERT_AND_NOTIFY)}
    result = {}
    for per_tx in (0, 1, 100):  # 0: no transaction around the statement (autocommit)
        samples = {name: [] for name in ways}
        for _ in range(repeats):
            for name, way in ways.items():  # interleaved, so a noisy neighbour hurts all alike
                start = time.perf_counter()
                for _ in range(rows // max(per_tx, 1)):
                    with transaction.atomic() if per_tx else nullcontext():
                        way(max(per_tx, 1))
                samples[name].append((time.perf_counter() - start) / rows * 1e6)
        medians = {name: statistics.median(values) for name, values in samples.items()}
        result[f"tx{per_tx}"] = {**{f"{k}_us": v for k, v in medians.items()},
                                 "ratio": medians["emit"] / medians["bare_insert"],
                                 "notify_ratio": medians["insert_and_notify"] / medians["bare_insert"]}
        OutboxEvent.objects.all().delete()
    result["python_us"] = _emit_python_only(by_emit, rows, repeats)
    return result


class _NoStatement:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, *args):
        pass


def _emit_python_only(by_emit, rows: int, repeats: int) -> float:
    """emit() with its one statement left out: validation, sealing, encoding, Django's plumbing."""
    from django.db import connection, transaction

    samples = []
    with transaction.atomic():
        real, connection.cursor = connection.cursor, _NoStatement
        try:
            for _ in range(repeats):
                start = time.perf_counter()
                by_emit(rows)
                samples.append((time.perf_counter() - start) / rows * 1e6)
        finally:
            connection.cursor = real
    return statistics.median(samples)


# --- (d) RSS --------------------------------------------------------------------------------
def part_rss(backlog: Backlog, env: dict[str, str], total: int, rounds: int) -> dict:
    per_round = total // rounds
    relay = subprocess.Popen([sys.executable, "manage.py", "relay"], cwd=ROOT, env={**os.environ, **env},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples, start = [], time.perf_counter()
    try:
        with connect() as conn:
            conn.execute("TRUNCATE outbox_event")
            time.sleep(3)  # started and connected
            samples.append(("start", 0, rss_kb(relay.pid)))
            for r in range(1, rounds + 1):
                backlog.fill(conn, per_round)
                while backlog_left(conn):
                    time.sleep(0.2)
                    if relay.poll() is not None:
                        raise RuntimeError("the relay died")
                time.sleep(0.5)
                samples.append((f"round {r}", r * per_round, rss_kb(relay.pid)))
        peak = rss_kb(relay.pid, "VmHWM")
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(30)
    rounds_mb = [(events, kb / 1024) for _, events, kb in samples if events >= per_round]
    slope = statistics.linear_regression([e for e, _ in rounds_mb], [mb for _, mb in rounds_mb]).slope \
        if len(rounds_mb) > 1 else 0.0
    return {"events": per_round * rounds, "seconds": time.perf_counter() - start,
            "rss_mb": [(label, events, kb / 1024) for label, events, kb in samples], "peak_mb": peak / 1024,
            "spread_mb": max(mb for _, mb in rounds_mb) - min(mb for _, mb in rounds_mb),
            "growth_mb_per_100k": slope * 100_000}


# --- (e) failover ---------------------------------------------------------------------------
def part_failover(env: dict[str, str]) -> dict:
    from django.db import connection

    from relay.shards import ownership

    def shares() -> list[int]:
        with connection.cursor() as cursor:
            state = ownership(cursor)
        return sorted(sum(1 for h in state.owners.values() if h.pid == m.pid) for m in state.members)

    relays = [subprocess.Popen([sys.executable, "manage.py", "relay"], cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while shares() != [16, 16]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"relays did not share the shards: {shares()}")
            time.sleep(0.05)
        relays[0].send_signal(signal.SIGKILL)
        killed = time.perf_counter()
        while shares() != [32]:
            time.sleep(0.02)
        return {"seconds": time.perf_counter() - killed}
    finally:
        for relay in relays:
            relay.send_signal(signal.SIGTERM)
            relay.wait(30)


# --- report ---------------------------------------------------------------------------------
def report(results: dict) -> str:
    lines = [f"Relay benchmark, {results['when']}: {results['machine']}"]
    if "drain" in results:
        d = results["drain"]
        lines += [
            f"(a) drain a {d['events']:,}-event backlog",
            f"    relay (manage.py relay --drain)          {d['relay']:>10,.0f} events/s"
            f"   CPU per event: relay {d['relay_cpu_us']:.0f} us, PostgreSQL {d['postgres_cpu_us']:.0f} us",
            f"    two relays together (shards split 16/16)  {d['two_relays']:>9,.0f} events/s",
            f"    raw confluent-kafka produce, same records {d['raw_produce']:>9,.0f} events/s   relay / raw = "
            f"{d['relay'] / d['raw_produce']:.2f}",
            f"    claim query alone (rows fetched)          {d['claim_query']:>9,.0f} rows/s     relay / claim = "
            f"{d['relay'] / d['claim_query']:.2f}  (target >= {TARGETS['drain_vs_claim']})",
            f"    claim + mark loop, no Kafka               {d['claim_mark_loop']:>9,.0f} rows/s     relay / loop = "
            f"{d['relay'] / d['claim_mark_loop']:.2f}",
            f"    building the records alone                {d['build_records']:>9,.0f} records/s",
            f"    target >= {TARGETS['drain']:,} events/s or >= {TARGETS['drain_vs_claim']} x claim query: "
            + verdict(d["relay"] >= TARGETS["drain"] or d["relay"] >= TARGETS["drain_vs_claim"] * d["claim_query"]),
        ]
        if "fresh_relay" in d:
            lines += [
                f"    never-analysed table, {d['fresh_events']:,} rows by emit(): relay {d['fresh_relay']:>9,.0f} events/s"
                f"   relay / claim = {d['fresh_relay'] / d['claim_query']:.2f}; one claim past an unsettled batch "
                f"{d['fresh_claim_unsettled']:,.0f} rows/s",
                "    target (the same, whatever the statistics): "
                + verdict(d["fresh_relay"] >= TARGETS["drain"]
                          or d["fresh_relay"] >= TARGETS["drain_vs_claim"] * d["claim_query"]),
            ]
    if "latency" in results:
        lat = results["latency"]
        lines += [
            f"(b) commit -> ack at {lat['rate']:.0f} events/s ({lat['events']:,} events, one per transaction)",
            f"    p50 {lat['p50_ms']:.1f} ms  p90 {lat['p90_ms']:.1f} ms  p99 {lat['p99_ms']:.1f} ms  "
            f"p99.9 {lat['p999_ms']:.1f} ms  max {lat['max_ms']:.1f} ms",
            f"    target p50 <= {TARGETS['p50_ms']:g} ms and p99 <= {TARGETS['p99_ms']:g} ms: "
            + verdict(lat["p50_ms"] <= TARGETS["p50_ms"] and lat["p99_ms"] <= TARGETS["p99_ms"]),
        ]
    if "emit" in results:
        lines.append("(c) emit() next to a bare INSERT of the same row (median us per row)")
        for name, e in results["emit"].items():
            if not name.startswith("tx"):
                continue
            size = "autocommit" if name == "tx0" else f"{name[2:]:>3} row(s)/transaction"
            lines.append(f"    {size:>21}: emit {e['emit_us']:.0f}  bare INSERT {e['bare_insert_us']:.0f}"
                         f"  INSERT+NOTIFY {e['insert_and_notify_us']:.0f}   emit / INSERT = {e['ratio']:.2f}"
                         f"  (NOTIFY: {e['notify_ratio']:.2f})  target <= {TARGETS['emit_ratio']}: "
                         + verdict(e["ratio"] <= TARGETS["emit_ratio"]))
        lines.append(f"    emit()'s own Python work (validation, sealing, encoding; statement left out): "
                     f"{results['emit']['python_us']:.0f} us")
    if "rss" in results:
        r = results["rss"]
        first = [mb for label, _, mb in r["rss_mb"] if label == "round 1"][0]
        lines += [
            f"(d) relay RSS over {r['events']:,} events ({r['seconds']:.0f} s)",
            "    " + "  ".join(f"{label}: {mb:.0f} MB" for label, _, mb in r["rss_mb"]),
            f"    peak {r['peak_mb']:.0f} MB; from round 1 on: {first:.0f} MB, spread {r['spread_mb']:.1f} MB, trend "
            f"{r['growth_mb_per_100k']:+.2f} MB per 100k events; target <= {TARGETS['rss_mb']:g} MB and flat: "
            + verdict(r["peak_mb"] <= TARGETS["rss_mb"] and abs(r["growth_mb_per_100k"]) < 0.5),
        ]
    if "failover" in results:
        f = results["failover"]
        lines.append(f"(e) failover: SIGKILL -> the survivor owns every shard in {f['seconds']:.2f} s; target <= "
                     f"{TARGETS['failover_s']:g} s: " + verdict(f["seconds"] <= TARGETS["failover_s"]))
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def machine() -> str:
    load = os.getloadavg()[0]
    with psycopg.connect(ADMIN_DSN) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return (f"{os.cpu_count()} CPUs, load {load:.1f} at start, Python {platform.python_version()}, "
            f"PostgreSQL {version.split()[0]}, Tansu (embedded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drain", type=int, default=200_000, help="backlog size for (a) (200000)")
    parser.add_argument("--rate", type=int, default=500, help="events/s for (b) (500)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of (b) (20)")
    parser.add_argument("--emit-rows", type=int, default=1000, help="rows per emit-cost sample for (c) (1000)")
    parser.add_argument("--emit-repeats", type=int, default=5, help="samples per way and size for (c) (5)")
    parser.add_argument("--rss", type=int, default=1_000_000, help="events for (d) (1000000)")
    parser.add_argument("--rss-rounds", type=int, default=10, help="rounds (d) is fed in (10)")
    parser.add_argument("--parts", default="abcde", help="which parts to run (abcde)")
    args = parser.parse_args()

    from chesanto_comms.embedded.kafka import EmbeddedKafka

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with EmbeddedKafka() as broker:
        env = bench_env(broker.bootstrap_servers)
        scratch_database(env)
        setup_django(env)
        from chesanto_comms.topics import ensure_topics, topic_for
        from outbox.events import domains

        ensure_topics([topic_for(d) for d in domains()])
        results = {"when": datetime.now().isoformat(timespec="seconds"), "machine": machine(), "args": vars(args)}
        backlog = Backlog()
        steps = {"a": ("drain", lambda: part_drain(backlog, args.drain, env)),
                 "b": ("latency", lambda: part_latency(env, args.rate, args.seconds)),
                 "c": ("emit", lambda: part_emit(args.emit_rows, args.emit_repeats)),
                 "d": ("rss", lambda: part_rss(backlog, env, args.rss, args.rss_rounds)),
                 "e": ("failover", lambda: part_failover(env))}
        for part in args.parts:
            name, run = steps[part]
            print(f"running ({part}) {name} ...", flush=True)
            with connect() as conn:
                conn.execute("TRUNCATE outbox_event")
            results[name] = run()
            print(report({**results, **{k: v for k, v in results.items()}}).split("\n")[-1], flush=True)
        text = report(results)
        print("\n" + text)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        (OUT_DIR / f"results-{stamp}.json").write_text(json.dumps(results, indent=2))
        (OUT_DIR / f"results-{stamp}.txt").write_text(text + "\n")
    from django.db import connections

    connections.close_all()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
