"""The email benchmark (issue 4, item 9): `python -m bench.email_bench [--n N]`.

One run, one scratch database, one embedded Tansu broker and ONE aiosmtpd sink for
every measurement (its `delay` is switched between parts):

(a) sink without delay: the sink's ceiling with a plain smtplib client (1, then 5
    connections), ours end to end (emit -> relay -> Kafka -> `consume email` -> SMTP
    accepted -> EmailLog SENT) and django-post_office (`mail.send` x N, then
    `send_queued_mail`) for the same N and the same rendered email;
(b) the same with a sink that waits 100 ms per message (a slow provider);
(c) latency, emit COMMIT -> sink accepted, at a steady 20 events/s;
(d) scaling: one consumer process, then three, with a 100 ms provider;
(e) recipients in control (issue 17): (a)'s "ours" again after 100k recipients got preferences (three
    categories each, the emailed ones among them) and 10k addresses were suppressed, so that the consumer's
    per-batch look-ups (consumers/consent.py) find rows; its CPU per email beside (a)'s.

The bench process holds the sink and orchestrates only. Every load generator (the
emitter, the smtplib client, post_office) runs in a separate "driver" process, as
the relay and the consumer do, so none of them shares the sink's GIL. See
docs/performance-email.md for the method and the figures.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.keys import run_keys
from bench.proc import cpu_seconds, machine_busy_seconds, rss_mb

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "bench" / "email"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DB_NAME = "chesanto_bench_email"
EVENT_TYPE = "auth.otp_requested"  # -> emails/auth/otp, the most common email
DOMAIN = "bench.example"
SLOW_PROVIDER = 0.1  # seconds the sink waits per message in part (b)
SLOW_CONCURRENCY = 64  # connections of the sink's own ceiling at 100 ms in part (b)
SCALING_CONCURRENCY = 8  # senders per process in part (d), so that each process is bound by the provider, not the CPU
WAIT_TIMEOUT = 120.0  # seconds any one measurement may take before the run fails

TARGETS = {  # issue 12
    "consumer_cpu_ms": 2.5,  # the consumer's CPU per email in part (a)
    "ceiling": 0.6,  # ours >= 0.6 x the sink's 5-connection ceiling
    "post_office": 1.5,  # ours >= 1.5 x django-post_office end to end
    "slow_rate": 300.0,  # emails/s of one consumer process with a 100 ms provider, default settings
    "slow_post_office": 8.0,  # ours >= 8 x django-post_office with a 100 ms provider
    "scaling": 2.4,  # three consumer processes >= 2.4 x one, 100 ms provider
    "p50_ms": 30.0,  # end-to-end latency at 20 events/s
    "p99_ms": 150.0,
    "rss_mb": 120.0,  # relay and consumer resident memory (the relay's over 1M events: bench/relay_bench.py (d))
}


# --- the driver: a separate process that generates load ----------------------------
def sample_email():
    """The benchmark's email, rendered once, exactly as the consumer renders it."""
    from django.conf import settings

    from consumers.email import mime
    from consumers.email.compose import message_id, render_email
    from consumers.email.notifications import EMAILS
    from outbox.events import get_event_type

    notification = EMAILS[EVENT_TYPE][0]
    recipient = f"sample@{DOMAIN}"
    rendered = render_email(notification, get_event_type(EVENT_TYPE).parse(sample_data(recipient)), recipient)
    raw = mime.message_bytes(from_email=settings.DEFAULT_FROM_EMAIL, to=recipient, subject=rendered.subject,
                             text=rendered.text, html=rendered.html,
                             message_id=message_id(uuid.uuid4(), notification.name, recipient))
    return rendered, raw


def sample_data(recipient: str) -> dict:
    from outbox.events.samples import sample

    data = sample(EVENT_TYPE)
    data.pop("phone", None)  # email only: no SMS consumer runs here
    data["email"] = recipient
    return data


def drive_smtp(port: int, n: int, conns: int, prefix: str) -> dict:
    """The sink's ceiling: N pre-rendered messages over `conns` plain smtplib connections."""
    import smtplib

    from django.conf import settings

    raw = sample_email()[1]
    sender = settings.DEFAULT_FROM_EMAIL

    def send(indices: range) -> None:
        with smtplib.SMTP("127.0.0.1", port) as client:
            for i in indices:
                client.sendmail(sender, [f"{prefix}-{i}@{DOMAIN}"], raw)

    threads = [threading.Thread(target=send, args=(range(c, n, conns),)) for c in range(conns)]
    start = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"start": start, "end": time.time(), "bytes": len(raw)}


def drive_emit(n: int, prefix: str, rate: float | None = None) -> dict:
    """Emit N events, each in its own transaction (as N business requests would); at `rate`/s if given."""
    from outbox import emit

    commits = {}
    start = time.time()
    for i in range(n):
        if rate:
            time.sleep(max(0.0, start + i / rate - time.time()))
        recipient = f"{prefix}-{i}@{DOMAIN}"
        emit(EVENT_TYPE, sample_data(recipient))  # its own transaction: committed on return
        commits[recipient] = time.time()
    return {"start": start, "end": time.time(), "commits": commits if rate else {}}


def drive_post_office_queue(n: int, prefix: str) -> dict:
    """Queue N emails with post_office, with the same subject, text and HTML as ours (pre-rendered)."""
    from django.conf import settings
    from post_office import mail

    rendered = sample_email()[0]
    start = time.time()
    for i in range(n):
        mail.send(f"{prefix}-{i}@{DOMAIN}", settings.DEFAULT_FROM_EMAIL,
                  subject=rendered.subject, message=rendered.text, html_message=rendered.html)
    return {"start": start, "end": time.time()}


def drive_post_office_send() -> dict:
    from django.core.management import call_command

    start = time.time()
    call_command("send_queued_mail", processes=1)
    return {"start": start, "end": time.time()}


DRIVER_COMMANDS = {
    "smtp": drive_smtp, "emit": drive_emit,
    "post_office_queue": drive_post_office_queue, "post_office_send": drive_post_office_send,
}


def driver_main() -> None:
    """Serve commands from stdin (one JSON object a line), answer 'RESULT <json>' on stdout."""
    import django

    django.setup()
    logging.getLogger("post_office").setLevel(logging.WARNING)
    sample_email()  # templates and css-inline warmed before any timing
    print("RESULT {}", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        result = DRIVER_COMMANDS[request.pop("cmd")](**request)
        print("RESULT " + json.dumps(result), flush=True)


class Driver:
    def __init__(self, env: dict[str, str], name: str = "driver"):
        self.log = (LOG_DIR / f"{name}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.email_bench", "--driver"], cwd=ROOT, text=True,
            env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings_post_office"},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
        )
        self._read()  # ready

    def call(self, cmd: str, **kwargs) -> dict:
        self.process.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def _read(self) -> dict:
        for line in self.process.stdout:
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT "):])
        raise RuntimeError(f"the driver exited ({self.process.wait()}); see {self.log.name}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- services and processes ----------------------------------------------------
class Manage:
    """A `manage.py` command as a real process, logging to <log_dir>/<name>.log (var/bench/email/)."""

    def __init__(self, name: str, *args: str, env: dict[str, str], log_dir: Path = LOG_DIR):
        self.name = name
        self.log = (log_dir / f"{name}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def recreate_database(name: str = DB_NAME) -> None:
    drop_database(name)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str = DB_NAME) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- measuring ------------------------------------------------------------------
@dataclass
class Rate:
    what: str
    n: int
    seconds: float
    cpu: dict[str, float] | None = None  # CPU seconds used during the measurement, by process
    milestones: dict[str, float] | None = None  # seconds from the start until the last event passed each stage
    rss_mb: dict[str, tuple[float, float]] | None = None  # relay, consumer: (RSS, peak RSS) when it ended

    @property
    def per_second(self) -> float:
        return self.n / self.seconds


class Bench:
    def __init__(self, stack: ExitStack, args: argparse.Namespace):
        from chesanto_comms.embedded.kafka import RECOMMENDED_CLIENT_SETTINGS, EmbeddedKafka
        from chesanto_comms.embedded.smtp import SmtpSink

        self.args = args
        self.stack = stack
        run = uuid.uuid4().hex[:8]
        recreate_database()
        stack.callback(drop_database)
        self.kafka = kafka = stack.enter_context(EmbeddedKafka())
        self.sink = stack.enter_context(SmtpSink())
        self.env = {
            **os.environ,
            **run_keys(),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            **RECOMMENDED_CLIENT_SETTINGS,  # KAFKA_SESSION_TIMEOUT_MS=6000
            # Tansu answers a fetch that was waiting when a record arrived only late: the record reached
            # the consumer ~200 ms after it was produced at librdkafka's default fetch.wait.max.ms of 500,
            # ~29 ms at 100, ~5 ms at 50 or less (a real Kafka broker answers a waiting fetch at once).
            "KAFKA_FETCH_WAIT_MAX_MS": "50",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink.port),
            "EMAIL_USE_SSL": "false",
            "EMAIL_USE_TLS": "false",
            "OUTBOX_TOPIC_PREFIX": f"bench-{run}.",
            "CONSUMER_GROUP_PREFIX": f"bench-{run}-",
            **dict(item.split("=", 1) for item in args.env),
        }
        (LOG_DIR / "env.json").write_text(json.dumps({k: v for k, v in self.env.items() if k not in os.environ}, indent=1))
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], cwd=ROOT, check=True,
                       env={**self.env, "DJANGO_SETTINGS_MODULE": "bench.settings_post_office"})
        self.db = stack.enter_context(psycopg.connect(self.env["DATABASE_URL"], autocommit=True))
        self.relay = self.start(Manage("relay", "relay", env=self.env))
        self.consumer = self.start(Manage("consume-email", "consume", "email", env=self.env))
        self.driver = Driver(self.env)
        stack.callback(self.driver.close)

    def start(self, process: Manage) -> Manage:
        self.stack.callback(process.stop)
        return process

    def restart_consumer(self, *args: str, name: str = "consume-email-slow") -> None:
        self.consumer.stop()  # finishes in-flight sends, commits, leaves the group
        self.consumer = self.start(Manage(name, "consume", "email", *args, env=self.env))

    def more_consumers(self, count: int, *args: str) -> list[Manage]:
        """Further `consume email` processes in the consumer's group (stopped with the run)."""
        return [self.start(Manage(f"consume-email-{i + 2}", "consume", "email", *args, env=self.env)) for i in range(count)]

    # --- one measurement each ---------------------------------------------------
    def ceiling(self, conns: int, n: int) -> Rate:
        prefix = f"ceiling{conns}-{uuid.uuid4().hex[:6]}"
        timing = self.driver.call("smtp", port=self.sink.port, n=n, conns=conns, prefix=prefix)
        assert len(self.received(prefix)) == n
        return Rate(f"sink ceiling, {conns} connection{'s' if conns > 1 else ''}", n, timing["end"] - timing["start"])

    def ours(self, n: int, what: str = "ours end to end", profile: str = "", prefix: str = "") -> Rate:
        prefix = prefix or f"ours-{uuid.uuid4().hex[:6]}"
        base = len(self.sink.received)
        profilers = self.profile(profile) if profile and self.args.profile else []
        cpu_before = self.cpu()
        timing = self.driver.call("emit", n=n, prefix=prefix)
        delivered = self.wait_sent(prefix, n, base)
        cpu_after = self.cpu()
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its report on SIGINT
            profiler.wait(30)
        cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
        ids, taken = self.db.execute(
            "SELECT array_agg(event_id::text), extract(epoch FROM max(sent_at)) FROM communications_email_log"
            " WHERE recipient LIKE %s", (f"{prefix}-%",),
        ).fetchone()
        produced = self.record_times(set(ids))
        milestones = {"emitted": timing["end"], "produced by the relay": max(produced.values(), default=float("nan")),
                      "taken by a sender": float(taken), "SENT": max(delivered)}
        return Rate(what, n, max(delivered) - timing["start"], cpu,
                    {stage: moment - timing["start"] for stage, moment in milestones.items()},
                    {"relay": rss_mb(self.relay.process.pid), "consumer": rss_mb(self.consumer.process.pid)})

    def hold_preferences(self, recipients: int, suppressed: int, prefix: str) -> None:
        """`recipients` addresses `<prefix>-<i>@…` with a preference for each non-critical category on email, and
        `suppressed` other addresses on email's suppression list, as an import would leave them."""
        self.db.execute(
            "INSERT INTO communications_consent_change (recipient, category, channel, opted_in, source, wording, note,"
            " created_at) SELECT %s || '-' || g || '@' || %s, c, 'email', true, 'import', '', 'bench', now()"
            " FROM generate_series(0, %s - 1) g, unnest(array['transactional', 'operational', 'marketing']) c",
            (prefix, DOMAIN, recipients))
        self.db.execute(
            "INSERT INTO communications_suppression (channel, address, reason, source, detail, created_at, lift_reason)"
            " SELECT 'email', 'bounced-' || g || '@' || %s, 'hard_bounce', 'bench', '', now(), ''"
            " FROM generate_series(0, %s - 1) g", (DOMAIN, suppressed))
        self.db.execute("ANALYZE communications_consent_change")
        self.db.execute("ANALYZE communications_suppression")

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each process in the pipeline (PostgreSQL: the backends serving our database)."""
        backends = [pid for (pid,) in self.db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (DB_NAME,))]
        return {
            "emitter": cpu_seconds(self.driver.process.pid),
            "relay": cpu_seconds(self.relay.process.pid),
            "Tansu": cpu_seconds(self.kafka.process.pid),
            "consumer": cpu_seconds(self.consumer.process.pid),
            "SMTP sink": cpu_seconds(os.getpid()),
            "PostgreSQL": sum(cpu_seconds(pid) for pid in backends),
            "machine": machine_busy_seconds(),  # every process, ours and others' (reported apart)
        }

    def profile(self, name: str) -> list[subprocess.Popen]:
        """py-spy on the consumer and the relay while one measurement runs (--profile; needs `pip install py-spy`)."""
        return [
            subprocess.Popen(["py-spy", "record", "--gil", "--pid", str(process.process.pid), "--rate", "250", "--format", "raw",
                              "--output", str(LOG_DIR / f"profile-{name}-{process.name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for process in (self.consumer, self.relay)
        ]

    def post_office(self, n: int) -> tuple[Rate, float, float]:
        prefix = f"po-{uuid.uuid4().hex[:6]}"
        queued = self.driver.call("post_office_queue", n=n, prefix=prefix)
        sent = self.driver.call("post_office_send")
        got = len(self.received(prefix))
        if got != n:
            raise RuntimeError(f"post_office delivered {got} of {n}; see {LOG_DIR / 'driver.log'}")
        queue_s, send_s = queued["end"] - queued["start"], sent["end"] - sent["start"]
        return Rate("django-post_office (queue + send_queued_mail)", n, queue_s + send_s), queue_s, send_s

    def latency(self, rate: float, seconds: float) -> dict[str, list[float]]:
        prefix = f"lat-{uuid.uuid4().hex[:6]}"
        n = int(rate * seconds)
        base = len(self.sink.received)
        commits = self.driver.call("emit", n=n, prefix=prefix, rate=rate)["commits"]
        delivered = self.wait_sent(prefix, n, base, by_recipient=True)
        accepted = {e.rcpt_tos[0]: e.received_at for e in self.received(prefix)}
        # Where the time goes: the Kafka record's timestamp is when the relay produced it,
        # sent_at is the consumer's log insert (when a sender took the record).
        rows = self.db.execute(
            "SELECT l.recipient, l.event_id::text, extract(epoch FROM l.sent_at) FROM communications_email_log l"
            " WHERE l.recipient LIKE %s", (f"{prefix}-%",),
        ).fetchall()
        produced = self.record_times({event_id for _, event_id, _ in rows})
        ms = lambda later, earlier: (float(later) - float(earlier)) * 1000  # noqa: E731
        return {
            "accepted": [ms(accepted[r], t) for r, t in commits.items()],
            "logged": [ms(delivered[r], t) for r, t in commits.items()],
            "commit -> relay produced": [ms(produced[e], commits[r]) for r, e, _ in rows if e in produced],
            "relay produced -> consumer log insert": [ms(taken, produced[e]) for _, e, taken in rows if e in produced],
            "log insert -> sink accepted": [ms(accepted[r], taken) for r, _, taken in rows],
        }

    def record_times(self, event_ids: set[str]) -> dict[str, float]:
        """ce_id -> the Kafka record's timestamp (the relay's produce time), for the given events."""
        from confluent_kafka import Consumer, KafkaError, TopicPartition

        topic = self.env["OUTBOX_TOPIC_PREFIX"] + "auth"
        reader = Consumer({"bootstrap.servers": self.env["KAFKA_BOOTSTRAP_SERVERS"], "group.id": "bench-reader",
                           "enable.auto.commit": "false", "enable.partition.eof": "true"})
        try:
            partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
            reader.assign([TopicPartition(topic, p, 0) for p in partitions])
            times, at_end = {}, set()
            deadline = time.monotonic() + 30
            while len(times) < len(event_ids) and len(at_end) < len(partitions) and time.monotonic() < deadline:
                for msg in reader.consume(1000, timeout=0.5):
                    if msg.error():
                        if msg.error().code() == KafkaError._PARTITION_EOF:
                            at_end.add(msg.partition())
                        continue
                    event_id = dict(msg.headers())["ce_id"].decode()
                    if event_id in event_ids:
                        times[event_id] = msg.timestamp()[1] / 1000
            return times
        finally:
            reader.close()

    def warm_up(self, n: int = 100) -> None:
        self.ours(n, "warm-up")

    # --- waiting ----------------------------------------------------------------
    def check_alive(self) -> None:
        for process in (self.relay, self.consumer):
            if process.process.poll() is not None:
                tail = Path(process.log.name).read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError(f"{process.name} exited with {process.process.returncode}:\n" + "\n".join(tail))

    def received(self, prefix: str) -> list:
        return [e for e in self.sink.received if e.rcpt_tos[0].startswith(prefix + "-")]

    def wait_sent(self, prefix: str, n: int, base: int, by_recipient: bool = False):
        """Wait until the sink has N more messages and N log rows for `prefix` are SENT; their delivered_at times.

        Polls rather than waiting on the sink's condition: a wake-up per message would
        take the sink's GIL and lock 2000 times a second.
        """
        pattern = f"{prefix}-%"
        deadline = time.monotonic() + WAIT_TIMEOUT
        while len(self.sink.received) < base + n:
            self.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sink has {len(self.sink.received) - base} of {n} after {WAIT_TIMEOUT}s; see {LOG_DIR}")
            time.sleep(0.02)
        while True:
            rows = self.db.execute(
                "SELECT recipient, extract(epoch FROM delivered_at) FROM communications_email_log"
                " WHERE recipient LIKE %s AND status = 'SENT'", (pattern,),
            ).fetchall()
            if len(rows) >= n:
                return {r: float(t) for r, t in rows} if by_recipient else [float(t) for _, t in rows]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(rows)} of {n} log rows SENT after {WAIT_TIMEOUT}s; see {LOG_DIR}")
            time.sleep(0.02)


# --- reporting ------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def verdict(ok: bool) -> str:
    return "[green]PASS[/green]" if ok else "[red]MISS[/red]"


def report(results: dict, args: argparse.Namespace, loads: tuple[tuple, tuple]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120)
    table = Table(title=f"Email benchmark (load average {loads[0][0]:.2f} at start, {loads[1][0]:.2f} at end; "
                        f"{os.cpu_count()} CPUs)")
    for column in ("part", "measurement", "N", "seconds", "emails/s"):
        table.add_column(column, justify="right" if column in ("N", "seconds", "emails/s") else "left")
    for part in ("a", "b", "d", "e"):
        for rate in results.get(part, {}).values():
            table.add_row(part, rate.what, str(rate.n), f"{rate.seconds:.2f}", f"{rate.per_second:.0f}")
    console.print(table)
    cpu_table = Table(title="CPU milliseconds per email, by process, while 'ours' ran")
    cpu_table.add_column("part")
    measured = [(part, results[part]["ours"]) for part in ("a", "b", "e") if part in results]
    names = [name for name in measured[0][1].cpu if name != "machine"] if measured else []
    cores = os.cpu_count() or 1
    for name in [*names, "total", f"ours, % of {cores} cores", "machine busy"]:
        cpu_table.add_column(name, justify="right")
    for part, rate in measured:
        total = sum(rate.cpu[name] for name in names)
        cpu_table.add_row(part, *(f"{rate.cpu[name] / rate.n * 1000:.2f}" for name in names),
                          f"{total / rate.n * 1000:.2f}", f"{total / rate.seconds / cores:.0%}",
                          f"{rate.cpu['machine'] / rate.seconds / cores:.0%}")
    if measured:
        console.print(cpu_table)
        for part, rate in measured:
            console.print(f"({part}) seconds from the first emit until the last event was "
                          + ", ".join(f"{stage} {at:.2f}" for stage, at in rate.milestones.items()))
    for part in ("a", "b", "d"):
        for rate in results.get(part, {}).values():
            if rate.rss_mb:
                console.print(f"({part}) {rate.what}: RSS when it ended (peak) "
                              + ", ".join(f"{name} {now:.0f} MB ({peak:.0f})" for name, (now, peak) in rate.rss_mb.items())
                              + f"; target <= {TARGETS['rss_mb']:.0f} MB: "
                              + verdict(all(peak <= TARGETS["rss_mb"] for _, peak in rate.rss_mb.values())))

    ratios = Table(title="Ratios and targets")
    for column in ("figure", "value", "target", ""):
        ratios.add_column(column)
    if "a" in results:
        consumer_ms = results["a"]["ours"].cpu["consumer"] / results["a"]["ours"].n * 1000
        ratios.add_row("consumer CPU per email (a)", f"{consumer_ms:.2f} ms", f"<= {TARGETS['consumer_cpu_ms']} ms",
                       verdict(consumer_ms <= TARGETS["consumer_cpu_ms"]))
    if "e" in results:
        held_ms = results["e"]["ours"].cpu["consumer"] / results["e"]["ours"].n * 1000
        ratios.add_row("consumer CPU per email with preferences and suppressions (e)", f"{held_ms:.2f} ms",
                       f"<= {TARGETS['consumer_cpu_ms']} ms", verdict(held_ms <= TARGETS["consumer_cpu_ms"]))
        if "a" in results:
            ratios.add_row("  (e) / (a)", f"{held_ms / consumer_ms:.2f}x", "", "")
    if "post_office" in results.get("a", {}):
        a = results["a"]
        ours = a["ours"].per_second
        ratios.add_row("ours / sink ceiling (1 connection)", f"{ours / a['ceiling1'].per_second:.2f}x", "", "")
        ratio = ours / a["ceiling5"].per_second
        ratios.add_row("ours / sink ceiling (5 connections)", f"{ratio:.2f}x", f">= {TARGETS['ceiling']}x",
                       verdict(ratio >= TARGETS["ceiling"]))
        ratio = ours / a["post_office"].per_second
        ratios.add_row("ours / django-post_office", f"{ratio:.2f}x", f">= {TARGETS['post_office']}x",
                       verdict(ratio >= TARGETS["post_office"]))
    if "b" in results:
        b = results["b"]
        slow = b["ours"].per_second
        ratios.add_row("ours at 100 ms provider latency", f"{slow:.0f} emails/s", f">= {TARGETS['slow_rate']:.0f}/s",
                       verdict(slow >= TARGETS["slow_rate"]))
        if "post_office" in b:
            ratios.add_row(f"ours / sink ceiling at 100 ms ({SLOW_CONCURRENCY} connections)",
                           f"{slow / b['ceiling_wide'].per_second:.2f}x", "", "")
            ratio = slow / b["post_office"].per_second
            ratios.add_row("ours / django-post_office at 100 ms", f"{ratio:.2f}x", f">= {TARGETS['slow_post_office']}x",
                           verdict(ratio >= TARGETS["slow_post_office"]))
    if "d" in results:
        ratio = results["d"]["three"].per_second / results["d"]["one"].per_second
        ratios.add_row(f"three consumers / one at 100 ms (--concurrency {SCALING_CONCURRENCY} each)", f"{ratio:.2f}x",
                       f">= {TARGETS['scaling']}x", verdict(ratio >= TARGETS["scaling"]))
    if "c" in results:
        lat = results["c"]
        p50, p99 = percentile(lat["accepted"], 50), percentile(lat["accepted"], 99)
        ratios.add_row(f"latency p50 at {args.rate:g}/s (commit -> sink accepted)", f"{p50:.1f} ms",
                       f"<= {TARGETS['p50_ms']:.0f} ms", verdict(p50 <= TARGETS["p50_ms"]))
        ratios.add_row(f"latency p99 at {args.rate:g}/s (commit -> sink accepted)", f"{p99:.1f} ms",
                       f"<= {TARGETS['p99_ms']:.0f} ms", verdict(p99 <= TARGETS["p99_ms"]))
        ratios.add_row("latency p50 / p99 (commit -> log SENT)",
                       f"{percentile(lat['logged'], 50):.1f} / {percentile(lat['logged'], 99):.1f} ms", "", "")
        for stage in ("commit -> relay produced", "relay produced -> consumer log insert", "log insert -> sink accepted"):
            ratios.add_row(f"  stage p50 / p99: {stage}",
                           f"{percentile(lat[stage], 50):.1f} / {percentile(lat[stage], 99):.1f} ms", "", "")
    console.print(ratios)
    if "po_split" in results:
        console.print(f"post_office: queueing {results['po_split'][0]:.2f}s + send_queued_mail "
                      f"{results['po_split'][1]:.2f}s (1 process, 5 threads, batches of 100)")
    console.print(f"part (b): `consume email` with its defaults; logs in {LOG_DIR.relative_to(ROOT)}/")


# --- the run --------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    results: dict = {}
    n = args.n
    with ExitStack() as stack:
        step = Step()
        with step("starting: scratch database, Tansu, the SMTP sink, relay, consumer; warming up"):
            bench = Bench(stack, args)
            bench.warm_up()
            if not args.ours_only:
                bench.ceiling(1, 50)
        if "a" in args.parts:
            a = results["a"] = {}
            if not args.ours_only:
                with step(f"(a) sink ceiling, N={n}"):
                    a["ceiling1"], a["ceiling5"] = bench.ceiling(1, n), bench.ceiling(5, n)
            with step(f"(a) ours, N={n}"):
                a["ours"] = bench.ours(n, profile="a")
            if not args.ours_only:
                with step(f"(a) django-post_office, N={n}"):
                    a["post_office"], *results["po_split"] = bench.post_office(n)
        if "c" in args.parts:
            with step(f"(c) latency at {args.rate:g} events/s for {args.seconds:g}s"):
                results["c"] = bench.latency(args.rate, args.seconds)
        if "b" in args.parts:
            b = results["b"] = {}
            with step(f"(b) sink delay {SLOW_PROVIDER * 1000:.0f} ms; the consumer with its defaults"):
                bench.sink.delay = SLOW_PROVIDER
                bench.restart_consumer()
                bench.warm_up(200)
            if not args.ours_only:
                with step(f"(b) sink ceiling with 1, 5 and {SLOW_CONCURRENCY} connections"):
                    b["ceiling1"], b["ceiling5"] = bench.ceiling(1, 30), bench.ceiling(5, 150)
                    b["ceiling_wide"] = bench.ceiling(SLOW_CONCURRENCY, args.n_slow)
            with step(f"(b) ours, N={args.n_slow}"):
                b["ours"] = bench.ours(args.n_slow, profile="b")
            if not args.ours_only:
                with step("(b) django-post_office, N=150"):
                    b["post_office"] = bench.post_office(150)[0]
            bench.sink.delay = 0.0
        if "d" in args.parts:
            d = results["d"] = {}
            with step(f"(d) sink delay {SLOW_PROVIDER * 1000:.0f} ms; one consumer, --concurrency {SCALING_CONCURRENCY}"):
                bench.sink.delay = SLOW_PROVIDER
                bench.restart_consumer("--concurrency", str(SCALING_CONCURRENCY), name="consume-email-d1")
                bench.warm_up(100)
                d["one"] = bench.ours(args.n_slow // 2, "one consumer process, 100 ms provider")
            with step(f"(d) three consumer processes in the group, --concurrency {SCALING_CONCURRENCY} each"):
                others = bench.more_consumers(2, "--concurrency", str(SCALING_CONCURRENCY))
                time.sleep(8)  # the group rebalances over the three
                bench.warm_up(200)
                d["three"] = bench.ours(args.n_slow, "three consumer processes, 100 ms provider")
                for process in others:
                    process.stop()
            bench.sink.delay = 0.0
        if "e" in args.parts:
            with step(f"(e) {args.preferences // 1000}k recipients with preferences, {args.suppressions // 1000}k "
                      f"suppressions; ours, N={n}"):
                prefix = f"held-{uuid.uuid4().hex[:6]}"
                bench.hold_preferences(args.preferences, args.suppressions, prefix)
                bench.warm_up()
                results["e"] = {"ours": bench.ours(n, "ours with preferences and suppressions", prefix=prefix)}
        with step("stopping"):
            stack.close()
    return results


class Step:
    """Prints what is being done and how long it took."""

    def __call__(self, what: str):
        self.what = what
        return self

    def __enter__(self):
        self.start = time.monotonic()
        print(f"… {self.what}", flush=True)

    def __exit__(self, *exc):
        if exc[0] is None:
            print(f"  done in {time.monotonic() - self.start:.1f}s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="emails per throughput measurement in part (a)")
    parser.add_argument("--n-slow", type=int, default=2000, help="emails for ours and the ceiling at 100 ms, part (b)")
    parser.add_argument("--rate", type=float, default=20.0, help="events/s for the latency part (c)")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of the latency part (c)")
    parser.add_argument("--parts", default="abcde", help="which parts to run")
    parser.add_argument("--preferences", type=int, default=100_000, help="recipients holding preferences in part (e)")
    parser.add_argument("--suppressions", type=int, default=10_000, help="suppressed addresses in part (e)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the relay and consumer processes, e.g. EMAIL_CONCURRENCY=16")
    parser.add_argument("--ours-only", action="store_true", help="skip the sink ceilings and post_office (quick iterations)")
    parser.add_argument("--profile", action="store_true",
                        help=f"record py-spy profiles (of the thread holding the GIL) of the consumer and relay during 'ours' into {LOG_DIR.relative_to(ROOT)}/")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        driver_main()
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds the ExitStack: everything is stopped
    start_load = os.getloadavg()
    results = run(args)
    report(results, args, (start_load, os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
