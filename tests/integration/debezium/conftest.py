"""Debezium publishing the outbox: a PostgreSQL with wal_level=logical, a Kafka Connect worker with the
connector from deploy/debezium/ (the files docker-compose's `debezium` profile uses), and the real
`consume email` process reading what it publishes, on the session's Apache Kafka broker.

One worker and one database for the module (the JVM takes seconds to start); the database is known
to Django as the alias `cdc`, so a test emits with `emit(..., using="cdc")` in `atomic(using="cdc")`.
"""
from __future__ import annotations

import copy
import json
import uuid
from contextlib import ExitStack

import pytest
from django.db import connections

from chesanto_comms.embedded.kafka_connect import KafkaConnect
from chesanto_comms.embedded.logical_postgres import LogicalPostgres
from tests.support.processes import ROOT, ManagedProcess

DEPLOY = ROOT / "deploy" / "debezium"
CONNECTOR = "chesanto-outbox"
ALIAS = "cdc"


def connector_config() -> dict[str, str]:
    return json.loads((DEPLOY / "outbox-connector.json").read_text())


def worker_env(database: LogicalPostgres, app_env: dict[str, str]) -> dict[str, str]:
    """The Connect worker's environment, which the connector's ${env:NAME} values are read from."""
    return {
        "CDC_DATABASE_HOST": "127.0.0.1", "CDC_DATABASE_PORT": str(database.port), "CDC_DATABASE_USER": "postgres",
        "CDC_DATABASE_PASSWORD": "", "CDC_DATABASE_NAME": database.database,
        "OUTBOX_TOPIC_PREFIX": app_env["OUTBOX_TOPIC_PREFIX"], "OUTBOX_TOPIC_PARTITIONS": "6",
        "OUTBOX_TOPIC_REPLICATION": "1",
    }


def app_env_for(comms_env: dict[str, str], database: LogicalPostgres, apache_kafka) -> dict[str, str]:
    """The session's settings, with this module's database, broker, topics and group, in Debezium mode."""
    run = uuid.uuid4().hex[:6]
    env = {name: value for name, value in comms_env.items() if not name.startswith("KAFKA_")}
    return {**env, "DATABASE_URL": database.url, "KAFKA_BOOTSTRAP_SERVERS": apache_kafka.url,
            **apache_kafka.client_env, "OUTBOX_PUBLISHER": "debezium",
            "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}cdc{run}.",
            "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}cdc{run}-"}


def add_alias(database: LogicalPostgres) -> None:
    settings = copy.deepcopy(connections.settings["default"])
    settings.update({"NAME": database.database, "HOST": "127.0.0.1", "PORT": str(database.port), "USER": "postgres",
                     "PASSWORD": "", "CONN_MAX_AGE": 0})
    connections.settings[ALIAS] = settings


def remove_alias() -> None:
    connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


@pytest.fixture(scope="module")
def cdc(comms_env, apache_kafka, smtp_sink, django_db_blocker):
    """The running pipeline; yields its environment, the Connect worker and the consumer process."""
    with ExitStack() as stack:
        database = stack.enter_context(LogicalPostgres())
        env = app_env_for(comms_env, database, apache_kafka)
        migrate = ManagedProcess("migrate", "--noinput", "-v", "0", env=env)
        assert migrate.process.wait(120) == 0, migrate.log()
        add_alias(database)
        stack.callback(remove_alias)
        connect = stack.enter_context(KafkaConnect(apache_kafka.url, config_file=DEPLOY / "connect-distributed.properties",
                                                   env=worker_env(database, env)))
        connect.register(CONNECTOR, connector_config())
        consumer = ManagedProcess("consume", "email", env=env)
        try:
            with django_db_blocker.unblock():
                _warm_up(smtp_sink)
            yield {"env": env, "connect": connect, "consumer": consumer, "database": database}
        finally:
            code = consumer.stop()
        assert code == 0, f"the consumer stopped with {code}:\n{consumer.log()}"


def _warm_up(smtp_sink) -> None:
    """Until the consumer has joined its group and a first event went all the way through Debezium."""
    from outbox import emit

    address = f"warmup-{uuid.uuid4().hex[:8]}@example.com"
    emit("auth.otp_requested", {"email": address, "name": "Warm Up", "code": "000000"}, using=ALIAS)
    smtp_sink.wait_for(lambda received: any(address in r.rcpt_tos for r in received), timeout=90)
