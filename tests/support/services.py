"""Where the tests find PostgreSQL and Kafka, in order of preference:

PostgreSQL: testcontainers (a Docker engine is reachable) > DATABASE_URL > the local
server on 127.0.0.1:5432 > the embedded server the demo uses.
Kafka: testcontainers > KAFKA_BOOTSTRAP_SERVERS > the embedded Tansu broker.
"""
from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass, field

import psycopg

from chesanto_comms.embedded.kafka import RECOMMENDED_CLIENT_SETTINGS, EmbeddedKafka
from chesanto_comms.embedded.postgres import EmbeddedPostgres

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/chesanto_test"


def docker_reachable() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False


def local_postgres_up() -> bool:
    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False


@dataclass
class Service:
    url: str
    kind: str
    client_env: dict[str, str] = field(default_factory=dict)  # extra variables its clients need


def postgres_service(stack: ExitStack) -> Service:
    if docker_reachable():
        from testcontainers.postgres import PostgresContainer

        container = stack.enter_context(PostgresContainer("postgres:16-alpine", driver=None))
        return Service(container.get_connection_url().replace("postgresql://", "postgres://"), "testcontainers")
    if os.environ.get("DATABASE_URL"):
        return Service(os.environ["DATABASE_URL"], "DATABASE_URL")
    if local_postgres_up():
        return Service(LOCAL_POSTGRES, "local server")
    return Service(stack.enter_context(EmbeddedPostgres()).url, "embedded")


def kafka_service(stack: ExitStack) -> Service:
    if docker_reachable():
        from testcontainers.kafka import KafkaContainer

        container = stack.enter_context(KafkaContainer().with_kraft())
        return Service(container.get_bootstrap_server(), "testcontainers")
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return Service(os.environ["KAFKA_BOOTSTRAP_SERVERS"], "KAFKA_BOOTSTRAP_SERVERS")
    broker = stack.enter_context(EmbeddedKafka())
    return Service(broker.bootstrap_servers, "embedded", dict(RECOMMENDED_CLIENT_SETTINGS))
