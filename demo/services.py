"""Choose the services the demo runs against: the configured ones, else embedded ones."""
from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from embedded.kafka import RECOMMENDED_CLIENT_SETTINGS, EmbeddedKafka
from embedded.postgres import EmbeddedPostgres
from embedded.smtp import SmtpSink


def start_services(stack: ExitStack, workdir: Path) -> tuple[dict[str, str], SmtpSink | None, list[str]]:
    """Return (environment for the processes, the SMTP sink if embedded, descriptions)."""
    env: dict[str, str] = {}
    described = []
    if os.environ.get("DATABASE_URL"):
        described.append(f"PostgreSQL: DATABASE_URL ({os.environ['DATABASE_URL'].split('@')[-1]})")
    else:
        pg = stack.enter_context(EmbeddedPostgres(workdir / "postgres"))
        env["DATABASE_URL"] = pg.url
        described.append(f"PostgreSQL: embedded, data in {pg.data_dir}")
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        described.append(f"Kafka: KAFKA_BOOTSTRAP_SERVERS ({os.environ['KAFKA_BOOTSTRAP_SERVERS']})")
    else:
        kafka = stack.enter_context(EmbeddedKafka())
        env["KAFKA_BOOTSTRAP_SERVERS"] = kafka.bootstrap_servers
        for name, value in RECOMMENDED_CLIENT_SETTINGS.items():
            env.setdefault(name, os.environ.get(name, value))
        described.append(f"Kafka: embedded Tansu broker on {kafka.bootstrap_servers}")
    sink = None
    if os.environ.get("EMAIL_HOST"):
        described.append(f"SMTP: EMAIL_HOST ({os.environ['EMAIL_HOST']}:{os.environ.get('EMAIL_PORT', '25')})")
    else:
        sink = stack.enter_context(SmtpSink(save_dir=workdir / "mail"))
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port), EMAIL_USE_SSL="false", EMAIL_USE_TLS="false")
        described.append(f"SMTP: local catcher on 127.0.0.1:{sink.port}, messages saved in {sink.save_dir}")
    return env, sink, described
