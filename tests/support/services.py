"""Where the tests find PostgreSQL and Kafka, in order of preference:

PostgreSQL: testcontainers (a Docker engine is reachable) > DATABASE_URL > the local
server on 127.0.0.1:5432 > the embedded server the demo uses.
Kafka: Apache Kafka 4 from Maven Central's jars when CHESANTO_TEST_BROKER=apache (`./dev test
--broker apache`), else testcontainers > KAFKA_BOOTSTRAP_SERVERS > the embedded Tansu broker.
Each broker's clients get the settings that broker needs for fast tests (its `client_env`).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import psycopg

from chesanto_comms.embedded import apache_kafka, kafka
from chesanto_comms.embedded.ports import free_port
from chesanto_comms.embedded.postgres import EmbeddedPostgres
from tests.support.tcp_proxy import TcpProxy

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


BROKER_SWITCH = "CHESANTO_TEST_BROKER"  # tansu (the default) or apache


def kafka_service(stack: ExitStack) -> Service:
    broker = os.environ.get(BROKER_SWITCH, "tansu")
    if broker not in ("tansu", "apache"):
        raise ValueError(f"{BROKER_SWITCH}={broker!r}: use tansu or apache")
    if broker == "apache":
        return apache_kafka_service(stack)
    if docker_reachable():
        from testcontainers.kafka import KafkaContainer

        container = stack.enter_context(KafkaContainer().with_kraft())
        return Service(container.get_bootstrap_server(), "testcontainers")
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return Service(os.environ["KAFKA_BOOTSTRAP_SERVERS"], "KAFKA_BOOTSTRAP_SERVERS")
    tansu = stack.enter_context(kafka.EmbeddedKafka())
    return Service(tansu.bootstrap_servers, "embedded", dict(kafka.RECOMMENDED_CLIENT_SETTINGS))


def broker_has_consumer_protocol() -> bool:
    """Whether the session's broker runs KIP-848 consumer groups (Apache Kafka 4 does, Tansu does not)."""
    return os.environ.get(BROKER_SWITCH, "tansu") == "apache"


def apache_kafka_service(stack: ExitStack) -> Service:
    broker = stack.enter_context(apache_kafka.ApacheKafka())
    return Service(broker.bootstrap_servers, "apache", dict(apache_kafka.RECOMMENDED_CLIENT_SETTINGS))


@contextmanager
def proxied_kafka(kind: str) -> Iterator[tuple[TcpProxy, dict[str, str]]]:
    """A broker of its own behind a TCP proxy the test controls, advertising the proxy's address so that
    clients never bypass it: Apache Kafka when the session's is (`kind`), else Tansu. Yields the proxy
    and the client settings that broker needs."""
    broker_port, proxy_port = free_port(), free_port()
    with TcpProxy(broker_port, port=proxy_port) as proxy:  # listening first: the broker's start goes through it
        if kind == "apache":
            with apache_kafka.ApacheKafka(port=broker_port, advertised_port=proxy_port):
                yield proxy, dict(apache_kafka.RECOMMENDED_CLIENT_SETTINGS)
        else:
            with kafka.EmbeddedKafka(port=broker_port, advertised_port=proxy_port):
                yield proxy, dict(kafka.RECOMMENDED_CLIENT_SETTINGS)
