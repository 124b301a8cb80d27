"""The relay next to Debezium (issue 10, item 5): `.venv/bin/python -m bench.cdc_bench`.

One run, one Apache Kafka 4.3.1 broker, one throwaway PostgreSQL with wal_level=logical and one
Kafka Connect worker with the repository's connector (deploy/debezium/), all started here, the two
JVMs with Kafka's production options (G1, C2; the tests' C1-only JVMs start sooner but run slower):

(a) drain a backlog of --drain rows (shaped like emit's, written with one INSERT..SELECT):
    first by `manage.py relay --drain`; then the same backlog written while the connector is paused
    and published by Debezium once it resumes (its slot kept the WAL: a backlog after an outage);
    with the CPU per event of the publisher, of the PostgreSQL cluster and of the broker;
(b) commit -> Kafka ack at a steady --rate events/s for --seconds, one emit() per transaction:
    first with a running relay, then with the running connector.

Both are read off the broker the same way: every topic is created with
message.timestamp.type=LogAppendTime, so a record's timestamp is when the broker appended it, which
with one replica is when it acknowledged it (millisecond resolution). A drain's rate is the records
over the time from the first record appended to the last, so neither publisher's start-up counts;
a latency is that time minus the moment emit()'s transaction had committed. Nothing runs beside the
publisher being measured: the connector is registered only after the relay's parts. Figures and
ratios are printed and saved under var/bench/cdc/. See docs/relay.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, closing
from datetime import datetime
from pathlib import Path

import psycopg
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also when run as bench/cdc_bench.py

from bench.keys import run_keys  # noqa: E402
from bench.relay_bench import KEYS, Backlog, run_relay_drain, setup_django  # noqa: E402
from chesanto_comms.embedded.apache_kafka import RECOMMENDED_CLIENT_SETTINGS, ApacheKafka  # noqa: E402
from chesanto_comms.embedded.jvm import PRODUCTION_JVM_OPTS  # noqa: E402
from chesanto_comms.embedded.kafka_connect import KafkaConnect  # noqa: E402
from chesanto_comms.embedded.logical_postgres import LogicalPostgres  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench" / "cdc"
DEPLOY = ROOT / "deploy" / "debezium"
CONNECTOR = "chesanto-outbox"
PARTITIONS = 6
EMITTERS = 4  # threads emitting for (b), each its own connection


def bench_env(database: LogicalPostgres, kafka: ApacheKafka, prefix: str) -> dict[str, str]:
    return {
        **run_keys(), **RECOMMENDED_CLIENT_SETTINGS,
        "DATABASE_URL": database.url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "OUTBOX_TOPIC_PREFIX": prefix,
        "OUTBOX_TOPIC_PARTITIONS": str(PARTITIONS),
        "RELAY_METRICS_PORT": "0",
        "RELAY_PURGE_INTERVAL": "0",
        "DATABASE_CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
    }


def create_topics(bootstrap: str, prefix: str) -> None:
    """The domain topics of a prefix, stamped with the broker's append time (the ack time here)."""
    from outbox.events import domains

    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = [NewTopic(f"{prefix}{domain}", PARTITIONS, 1, config={"message.timestamp.type": "LogAppendTime"})
              for domain in domains()]
    for future in admin.create_topics(topics, operation_timeout=30).values():
        future.result(30)


def fill(backlog: Backlog, database: LogicalPostgres, n: int) -> None:
    with psycopg.connect(database.url, autocommit=True) as conn:
        backlog.fill(conn, n)


class Topic:
    """One topic's records as the broker has them: how many, and when it appended them."""

    def __init__(self, bootstrap: str, name: str):
        self.name = name
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:6]}",
                                  "enable.auto.commit": False})

    def ends(self) -> list[int]:
        return [self.consumer.get_watermark_offsets(TopicPartition(self.name, p), timeout=10)[1]
                for p in range(PARTITIONS)]

    def wait_for(self, total: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while sum(self.ends()) < total:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: {sum(self.ends())} of {total} records after {timeout:.0f}s")
            time.sleep(0.2)

    def append_times(self, since: list[int] | None = None) -> dict[str, float]:
        """ce_id -> append time (epoch seconds) of every record from `since` (offsets per partition) on."""
        ends, starts = self.ends(), since or [0] * PARTITIONS
        self.consumer.assign([TopicPartition(self.name, p, starts[p]) for p in range(PARTITIONS)])
        times, left = {}, sum(ends) - sum(starts)
        while left > 0:
            for msg in self.consumer.consume(10_000, timeout=1.0):
                if msg.error():
                    continue
                times[dict(msg.headers())["ce_id"].decode()] = msg.timestamp()[1] / 1000
                left -= 1
        return times

    def close(self) -> None:
        self.consumer.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds that processes spent while the meter ran: those found at the start counted from there,
    those that appeared later from their start (sampled every 0.1 s, so short-lived ones are caught)."""

    def __init__(self, pids):
        self.pids = pids  # () -> the pids to measure now
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "CpuMeter":
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    def _sample(self, first: bool = False) -> None:
        for pid in self.pids():
            try:
                cpu = cpu_seconds(pid)
            except (OSError, IndexError):
                continue
            if first:
                self.first[pid] = cpu
            self.last[pid] = cpu


def cluster_pids(database: LogicalPostgres) -> list[int]:
    """The throwaway cluster's postmaster and every process it started (backends, walsender, workers)."""
    postmaster = int((database.data_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return [postmaster, *children]


def drain_rate(times: dict[str, float]) -> dict:
    first, last = min(times.values()), max(times.values())
    return {"events": len(times), "seconds": last - first, "rate": (len(times) - 1) / (last - first),
            "load": os.getloadavg()[0]}


# --- (a) drain ------------------------------------------------------------------------------
def drain_with_relay(backlog: Backlog, database: LogicalPostgres, kafka: ApacheKafka, env: dict[str, str],
                     topic: Topic, n: int) -> dict:
    idle_cpu, _ = run_relay_drain(env)  # start-up and shutdown alone, on an empty table
    fill(backlog, database, n)
    with CpuMeter(lambda: cluster_pids(database)) as postgres, CpuMeter(lambda: [kafka.process.process.pid]) as broker:
        cpu, _ = run_relay_drain(env)
    topic.wait_for(n, timeout=60)
    return {**drain_rate(topic.append_times()), "publisher_cpu_us": max(cpu - idle_cpu, 0.0) / n * 1e6,
            "postgres_cpu_us": postgres.seconds / n * 1e6, "broker_cpu_us": broker.seconds / n * 1e6}


def drain_with_debezium(backlog: Backlog, database: LogicalPostgres, kafka: ApacheKafka, connect: KafkaConnect,
                        topic: Topic, n: int) -> dict:
    start = topic.ends()
    _set_state(connect, "pause", "PAUSED")
    fill(backlog, database, n)  # into the WAL, kept by the slot while nothing reads it
    with CpuMeter(lambda: cluster_pids(database)) as postgres, CpuMeter(lambda: [kafka.process.process.pid]) as broker, \
            CpuMeter(lambda: [connect.process.process.pid]) as worker:
        _set_state(connect, "resume", "RUNNING")
        topic.wait_for(sum(start) + n, timeout=600)
    return {**drain_rate(topic.append_times(since=start)), "publisher_cpu_us": worker.seconds / n * 1e6,
            "postgres_cpu_us": postgres.seconds / n * 1e6, "broker_cpu_us": broker.seconds / n * 1e6}


def _set_state(connect: KafkaConnect, action: str, state: str) -> None:
    code, body = connect.request("PUT", f"/connectors/{CONNECTOR}/{action}")
    if code not in (200, 202, 204):
        raise RuntimeError(f"{action}: {code} {body}")
    deadline = time.monotonic() + 60
    while (status := connect.status(CONNECTOR)) and not all(
            unit["state"] == state for unit in [status["connector"], *status["tasks"]]):
        if time.monotonic() > deadline:
            raise RuntimeError(f"connector not {state}: {status}")
        time.sleep(0.2)


# --- (b) latency ----------------------------------------------------------------------------
def emit_steadily(rate: int, seconds: float) -> tuple[dict[str, float], float]:
    """emit() at `rate` events/s, one per transaction, from EMITTERS threads; (event id -> commit time, rate)."""
    from django.db import connection as own

    from outbox import emit

    commits: dict[str, float] = {}
    total = int(rate * seconds)
    start = time.perf_counter()

    def lane(first: int) -> None:
        try:
            for i in range(first, total, EMITTERS):
                pause = start + i / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                event_id = emit("auth.otp_requested", {"email": f"user{i % KEYS}@bench.example", "name": "L", "code": "1234"})
                commits[str(event_id)] = time.time()  # emit() ran in a transaction of its own: committed
        finally:
            own.close()

    lanes = [threading.Thread(target=lane, args=(n,)) for n in range(EMITTERS)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    return commits, total / (time.perf_counter() - start)


def latency(topic: Topic, rate: int, seconds: float) -> dict:
    start = topic.ends()
    commits, achieved = emit_steadily(rate, seconds)
    topic.wait_for(sum(start) + len(commits), timeout=120)
    appended = topic.append_times(since=start)
    latencies = sorted((appended[e] - commits[e]) * 1000 for e in commits if e in appended)
    if len(latencies) != len(commits):
        raise RuntimeError(f"{len(commits) - len(latencies)} events did not reach {topic.name}")
    q = statistics.quantiles(latencies, n=1000)
    return {"events": len(latencies), "rate": achieved, "p50_ms": q[499], "p90_ms": q[899], "p99_ms": q[989],
            "max_ms": latencies[-1], "load": os.getloadavg()[0]}


def latency_with_relay(env: dict[str, str], topic: Topic, rate: int, seconds: float) -> dict:
    relay = subprocess.Popen([sys.executable, "manage.py", "relay"], cwd=ROOT, env={**os.environ, **env},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5)  # connected, shards owned
        return latency(topic, rate, seconds)
    finally:
        relay.terminate()
        relay.wait(30)


# --- report ---------------------------------------------------------------------------------
def report(results: dict) -> str:
    lines = [f"Relay and Debezium, {results['when']}: {results['machine']}"]
    if "drain" in results:
        relay, cdc = results["drain"]["relay"], results["drain"]["debezium"]
        lines += [
            f"(a) drain a {relay['events']:,}-event backlog (first record appended -> last)",
            f"    relay (manage.py relay --drain)     {relay['rate']:>9,.0f} events/s  ({relay['seconds']:.1f} s, "
            f"load {relay['load']:.1f} after)",
            f"    Debezium (resumed over its slot)    {cdc['rate']:>9,.0f} events/s  ({cdc['seconds']:.1f} s, "
            f"load {cdc['load']:.1f} after)",
            f"    Debezium / relay = {cdc['rate'] / relay['rate']:.2f}",
            "    CPU per event            publisher  PostgreSQL  broker",
            f"      relay                  {relay['publisher_cpu_us']:>6.0f} us   {relay['postgres_cpu_us']:>6.0f} us"
            f"   {relay['broker_cpu_us']:>4.0f} us",
            f"      Debezium (the worker)  {cdc['publisher_cpu_us']:>6.0f} us   {cdc['postgres_cpu_us']:>6.0f} us"
            f"   {cdc['broker_cpu_us']:>4.0f} us",
        ]
    if "latency" in results:
        lines.append("(b) commit -> Kafka ack (LogAppendTime) at a steady rate, one event per transaction")
        for name in ("relay", "debezium"):
            lat = results["latency"][name]
            lines.append(f"    {name:<9} {lat['rate']:.0f} events/s ({lat['events']:,}): p50 {lat['p50_ms']:.1f} ms  "
                         f"p90 {lat['p90_ms']:.1f} ms  p99 {lat['p99_ms']:.1f} ms  max {lat['max_ms']:.1f} ms  "
                         f"(load {lat['load']:.1f} after)")
        relay, cdc = results["latency"]["relay"], results["latency"]["debezium"]
        lines.append(f"    Debezium / relay: p50 {cdc['p50_ms'] / relay['p50_ms']:.1f} x, "
                     f"p99 {cdc['p99_ms'] / relay['p99_ms']:.1f} x")
    return "\n".join(lines)


def machine(database: LogicalPostgres, kafka: ApacheKafka) -> str:
    with psycopg.connect(database.url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return (f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at start, Python {platform.python_version()}, "
            f"PostgreSQL {version.split()[0]} (wal_level=logical, fsync off), Apache Kafka {kafka.kafka_version}, "
            f"Debezium 3.6.1.Final, JVMs with G1 and C2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drain", type=int, default=200_000, help="backlog size for (a) (200000)")
    parser.add_argument("--rate", type=int, default=500, help="events/s for (b) (500)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each run of (b) (20)")
    args = parser.parse_args()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:6]
    relay_prefix, cdc_prefix = f"bench-relay-{run}.", f"bench-cdc-{run}."
    with ExitStack() as stack:
        database = stack.enter_context(LogicalPostgres())
        kafka = stack.enter_context(ApacheKafka(heap="1g", jvm_opts=PRODUCTION_JVM_OPTS))
        env = bench_env(database, kafka, relay_prefix)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                       env={**os.environ, **env}, check=True)
        setup_django(env)
        for prefix in (relay_prefix, cdc_prefix):
            create_topics(kafka.bootstrap_servers, prefix)
        relay_topic = stack.enter_context(closing(Topic(kafka.bootstrap_servers, f"{relay_prefix}auth")))
        cdc_topic = stack.enter_context(closing(Topic(kafka.bootstrap_servers, f"{cdc_prefix}auth")))
        results = {"when": datetime.now().isoformat(timespec="seconds"), "machine": machine(database, kafka),
                   "args": vars(args)}
        backlog = Backlog()

        print("running (a) drain with the relay ...", flush=True)
        drain = {"relay": drain_with_relay(backlog, database, kafka, env, relay_topic, args.drain)}
        print("running (b) latency with the relay ...", flush=True)
        lat = {"relay": latency_with_relay(env, relay_topic, args.rate, args.seconds)}

        with psycopg.connect(database.url, autocommit=True) as conn:
            conn.execute("TRUNCATE outbox_event")  # the connector starts on an empty table (Debezium skips truncates)
        worker_env = {"CDC_DATABASE_HOST": "127.0.0.1", "CDC_DATABASE_PORT": str(database.port),
                      "CDC_DATABASE_USER": "postgres", "CDC_DATABASE_PASSWORD": "", "CDC_DATABASE_NAME": database.database,
                      "OUTBOX_TOPIC_PREFIX": cdc_prefix, "OUTBOX_TOPIC_PARTITIONS": str(PARTITIONS),
                      "OUTBOX_TOPIC_REPLICATION": "1"}
        connect = stack.enter_context(KafkaConnect(kafka.bootstrap_servers, heap="1g", env=worker_env,
                                                   jvm_opts=PRODUCTION_JVM_OPTS,
                                                   config_file=DEPLOY / "connect-distributed.properties"))
        connect.register(CONNECTOR, json.loads((DEPLOY / "outbox-connector.json").read_text()))
        print("running (a) drain with Debezium ...", flush=True)
        drain["debezium"] = drain_with_debezium(backlog, database, kafka, connect, cdc_topic, args.drain)
        print("running (b) latency with Debezium ...", flush=True)
        lat["debezium"] = latency(cdc_topic, args.rate, args.seconds)
        results.update(drain=drain, latency=lat)

        from django.db import connections

        connections.close_all()
        text = report(results)
        print("\n" + text)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        (OUT_DIR / f"results-{stamp}.json").write_text(json.dumps(results, indent=2))
        (OUT_DIR / f"results-{stamp}.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
