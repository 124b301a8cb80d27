"""The scheduling benchmark (issue 18, item 7): `.venv/bin/python -m bench.scheduling_bench`.

One run against the database in DATABASE_URL (a scratch one: the run EMPTIES outbox_event and
outbox_scheduled) and one embedded Tansu broker:

(a) publish delay: --rate scheduled events per second come due for --seconds (rows written ahead
    into outbox_scheduled, due 1/rate s apart); one `manage.py relay` process releases and
    publishes them. Per event: published_at - deliver_at (both PostgreSQL's clock; published_at
    is written after the broker's ack, so the figure includes the mark). Target p99 <= 1 s.
(b) the claim's cost with a calendar of held events: one release look with --held rows held and
    none due, next to one claim of 2,000 rows from a 50,000-row backlog (the claim statement is
    the same as before scheduled sends; held rows are not in outbox_event).

Figures are printed and saved under var/bench/scheduling/. See docs/scheduling.md.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also when run as bench/scheduling_bench.py

from bench.keys import run_keys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench" / "scheduling"
TARGET_P99_S = 1.0
LEAD_S = 2.0  # the first row is due this long after the rows are written
ALL_SHARDS_SQL = "SELECT array_agg(s) FROM generate_series(0, %s - 1) s"

# Rows shaped like emit()'s, due one after another, 1/rate s apart, spread over keys (and so shards).
HOLD = """
INSERT INTO outbox_scheduled (id, aggregatetype, aggregateid, type, payload, headers, shard, deliver_at)
SELECT gen_random_uuid(), 'auth', 'user' || (g %% 1000) || '@bench.example', 'auth.otp_requested',
       %(payload)s::jsonb, '{"actor": null, "schema_version": 1}'::jsonb, g %% %(shards)s,
       %(start)s::timestamptz + g * make_interval(secs => 1.0 / %(rate)s)
FROM generate_series(0, %(n)s - 1) AS g
"""
BACKLOG = """
INSERT INTO outbox_event (id, aggregatetype, aggregateid, type, payload, headers, shard)
SELECT gen_random_uuid(), 'auth', 'user' || (g %% 1000) || '@bench.example', 'auth.otp_requested',
       %(payload)s::jsonb, '{}'::jsonb, g %% %(shards)s FROM generate_series(0, %(n)s - 1) AS g
"""


def bench_env(bootstrap: str) -> dict[str, str]:
    return {**run_keys(), "DATABASE_URL": os.environ["DATABASE_URL"], "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "OUTBOX_TOPIC_PREFIX": f"bench-{uuid.uuid4().hex[:6]}.", "RELAY_METRICS_PORT": "0",
            "RELAY_PURGE_INTERVAL": "0", "DATABASE_CONN_MAX_AGE": "0", "LOG_LEVEL": "INFO"}


def template_payload() -> str:
    from outbox import emit
    from outbox.models import OutboxEvent

    event_id = emit("auth.otp_requested", {"email": "template@bench.example", "name": "Bench User", "code": "123456"})
    payload = json.dumps(OutboxEvent.objects.get(pk=event_id).payload)
    OutboxEvent.objects.all().delete()
    return payload


def empty(conn) -> None:
    conn.execute("TRUNCATE outbox_event, outbox_scheduled")


def part_delay(env: dict[str, str], payload: str, rate: int, seconds: float) -> dict:
    from chesanto_comms.conf import comms
    from relay import db

    n = int(rate * seconds)
    log = tempfile.NamedTemporaryFile(prefix="relay-", suffix=".log", delete=False)
    relay = subprocess.Popen([sys.executable, "manage.py", "relay"], cwd=ROOT, env={**os.environ, **env},
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "listening for NOTIFY" not in Path(log.name).read_text(errors="replace"):
            if time.monotonic() > deadline or relay.poll() is not None:
                raise SystemExit(f"the relay did not start:\n{Path(log.name).read_text()[-2000:]}")
            time.sleep(0.2)
        with db.connect() as conn:
            empty(conn)
            start = conn.execute(f"SELECT now() + interval '{LEAD_S} seconds'").fetchone()[0]
            conn.execute(HOLD, {"payload": payload, "shards": comms.OUTBOX_SHARDS, "start": start, "rate": rate, "n": n})
            deadline = time.monotonic() + LEAD_S + seconds + 120
            while conn.execute("SELECT count(*) FROM outbox_event WHERE published_at IS NOT NULL").fetchone()[0] < n:
                if time.monotonic() > deadline:
                    raise SystemExit("not every scheduled event was published within two minutes of the last due time")
                time.sleep(0.5)
            delays = [row[0] for row in conn.execute(
                "SELECT extract(epoch FROM published_at - deliver_at)::float8 FROM outbox_event ORDER BY 1")]
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(30)
    cuts = statistics.quantiles(delays, n=1000)
    return {"events": n, "rate": rate, "p50_s": cuts[499], "p90_s": cuts[899], "p99_s": cuts[989],
            "max_s": delays[-1], "early": sum(1 for d in delays if d < 0)}


def part_claim(payload: str, held: int) -> dict:
    from chesanto_comms.conf import comms
    from relay import db, store

    with db.connect() as conn:
        empty(conn)
        start = conn.execute("SELECT now() + interval '1 day'").fetchone()[0]
        conn.execute(HOLD, {"payload": payload, "shards": comms.OUTBOX_SHARDS, "start": start, "rate": 1000, "n": held})
        conn.execute(BACKLOG, {"payload": payload, "shards": comms.OUTBOX_SHARDS, "n": 50_000})
        conn.execute("VACUUM ANALYZE outbox_scheduled")
        conn.execute("VACUUM ANALYZE outbox_event")
        shards = conn.execute(ALL_SHARDS_SQL, (comms.OUTBOX_SHARDS,)).fetchone()[0]
        figures = {}
        for name, run, repeats in (("release_ms", lambda: store.release(conn, shards, 2000), 500),
                                   ("claim_ms", lambda: store.claim(conn, shards, 2000), 50)):
            run()  # warm
            began = time.perf_counter()
            for _ in range(repeats):
                run()
            figures[name] = (time.perf_counter() - began) / repeats * 1000
        empty(conn)
    return {"held": held, **figures}


def report(results: dict) -> str:
    d, c = results["delay"], results["claim"]
    verdict = "met" if d["p99_s"] <= TARGET_P99_S and d["early"] == 0 else "MISSED"
    return "\n".join([
        f"scheduling benchmark, {results['when']}",
        f"(a) publish delay after due, {d['events']:,} events due at {d['rate']:,}/s, one relay:",
        f"    p50 {d['p50_s'] * 1000:.0f} ms  p90 {d['p90_s'] * 1000:.0f} ms  p99 {d['p99_s'] * 1000:.0f} ms  "
        f"max {d['max_s'] * 1000:.0f} ms; published before due: {d['early']}",
        f"    target p99 <= {TARGET_P99_S:g} s and none early: {verdict}",
        f"(b) with {c['held']:,} events held (none due): one release look {c['release_ms']:.2f} ms; "
        f"one claim of 2,000 from a 50,000 backlog {c['claim_ms']:.2f} ms "
        f"(release / claim = {c['release_ms'] / c['claim_ms']:.3f}; it runs every RELAY_RELEASE_INTERVAL)",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000, help="scheduled events coming due per second (1000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="for how long they come due (20)")
    parser.add_argument("--held", type=int, default=100_000, help="events held, none due, for (b) (100000)")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("set DATABASE_URL to a scratch database (the run empties its outbox tables)")

    from chesanto_comms.embedded.kafka import EmbeddedKafka

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with EmbeddedKafka() as broker:
        env = bench_env(broker.bootstrap_servers)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                       env={**os.environ, **env}, check=True)
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from chesanto_comms.topics import ensure_topics, topic_for
        from outbox.events import domains

        ensure_topics([topic_for(d) for d in domains()])
        payload = template_payload()
        results = {"when": datetime.now().isoformat(timespec="seconds"), "args": vars(args)}
        print("running (a) publish delay ...", flush=True)
        results["delay"] = part_delay(env, payload, args.rate, args.seconds)
        print("running (b) claim with held events ...", flush=True)
        results["claim"] = part_claim(payload, args.held)
    text = report(results)
    print("\n" + text)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT_DIR / f"results-{stamp}.json").write_text(json.dumps(results, indent=2))
    (OUT_DIR / f"results-{stamp}.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
