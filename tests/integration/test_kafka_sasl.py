"""Kafka's own access control as the primary guard of the topics (README, 'Security'): a SASL_PLAINTEXT
listener with SCRAM-SHA-512 users and ACLs, from the files docker-compose's `sasl` profile uses
(deploy/kafka-sasl/), and the real `relay` and `consume email` configured through the KAFKA_<NAME>
pass-through alone."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

import pytest
from confluent_kafka import KafkaError, Producer

from chesanto_comms.embedded.apache_kafka import RECOMMENDED_CLIENT_SETTINGS, ApacheKafka
from chesanto_comms.embedded.jars import FetchError
from chesanto_comms.kafka import kafka_properties, producer_properties
from outbox import emit
from tests.support.processes import ROOT, ManagedProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEPLOY = ROOT / "deploy" / "kafka-sasl"
MECHANISM = "SCRAM-SHA-512"


def scram_users() -> dict[str, str]:
    lines = (line.split() for line in (DEPLOY / "scram-users.txt").read_text().splitlines())
    return {fields[0]: fields[1] for fields in lines if fields and not fields[0].startswith("#")}


def sasl_env(bootstrap: str, user: str, password: str | None = None) -> dict[str, str]:
    """What a client of the product is given to authenticate as `user`, and nothing else."""
    return {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": MECHANISM, "KAFKA_SASL_USERNAME": user,
            "KAFKA_SASL_PASSWORD": scram_users()[user] if password is None else password}


@pytest.fixture(scope="module")
def sasl_broker():
    admin = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": MECHANISM, "sasl.username": "admin",
             "sasl.password": scram_users()["admin"]}
    broker = ApacheKafka(config_file=DEPLOY / "server.properties", listener="SASL_PLAINTEXT",
                         scram_users=scram_users(), jaas_file=DEPLOY / "kafka_server_jaas.conf", client_properties=admin)
    try:
        broker.start()
    except FetchError as exc:
        pytest.skip(f"Apache Kafka cannot start here: {exc}")
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def sasl_env_of(comms_env, sasl_broker):
    """The session's settings with this broker, topics and group of the module's own, for one principal."""
    run = uuid.uuid4().hex[:6]
    base = {name: value for name, value in comms_env.items() if not name.startswith("KAFKA_")}
    base.update(RECOMMENDED_CLIENT_SETTINGS, OUTBOX_TOPIC_PREFIX=f"{comms_env['OUTBOX_TOPIC_PREFIX']}sasl{run}.",
                CONSUMER_GROUP_PREFIX=f"{comms_env['CONSUMER_GROUP_PREFIX']}sasl{run}-")
    acls = subprocess.run([sys.executable, str(DEPLOY / "apply_acls.py")], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **base, **sasl_env(sasl_broker.bootstrap_servers, "admin")}, timeout=60)
    assert acls.returncode == 0, acls.stdout + acls.stderr
    return lambda user, password=None: {**base, **sasl_env(sasl_broker.bootstrap_servers, user, password)}


@pytest.fixture(scope="module")
def sasl_pipeline(sasl_env_of):
    relay = ManagedProcess("relay", env=sasl_env_of("chesanto-relay"))
    consumer = ManagedProcess("consume", "email", env=sasl_env_of("chesanto-email"))
    yield relay, consumer
    codes = {"relay": relay.stop(), "consumer": consumer.stop()}
    assert codes == {"relay": 0, "consumer": 0}, f"unclean stop {codes}\n{relay.log()}\n{consumer.log()}"


def test_the_relay_and_the_consumer_deliver_as_their_own_principals(sasl_pipeline, smtp_sink, unique_email):
    relay, consumer = sasl_pipeline
    address = unique_email("sasl")
    emit("auth.otp_requested", {"email": address, "name": "Achieng", "code": "314159"})
    (received,) = smtp_sink.wait_for(lambda r: any(address in e.rcpt_tos for e in r), timeout=90) and \
        smtp_sink.to(address)
    assert "314159" in received.body("plain")
    for process in (relay, consumer):
        assert "(SASL_PLAINTEXT)" in process.log() and "AUTHORIZATION_FAILED" not in process.log()


def test_a_principal_without_a_write_acl_is_refused(sasl_pipeline, sasl_env_of):
    """The email consumer's principal may read chesanto.auth, not write it: it cannot forge a login code."""
    env = sasl_env_of("chesanto-email")
    producer = Producer(producer_properties(kafka_properties(env)))
    reports = []
    producer.produce(f"{env['OUTBOX_TOPIC_PREFIX']}auth", b'{"email": "victim@example.com"}', b"victim@example.com",
                     on_delivery=lambda err, msg: reports.append(err))
    producer.flush(30)
    assert [err.code() for err in reports] == [KafkaError.TOPIC_AUTHORIZATION_FAILED]


def test_a_wrong_password_is_refused(sasl_env_of):
    errors = []
    quiet = logging.getLogger("tests.sasl.librdkafka")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    producer = Producer({**producer_properties(kafka_properties(sasl_env_of("chesanto-relay", "not-the-password"))),
                         "error_cb": errors.append, "logger": quiet})
    wait_until(lambda: producer.poll(0.2) is not None and errors, timeout=20, what="the broker to refuse the password")
    assert errors[0].code() == KafkaError._AUTHENTICATION
    assert "Authentication failed during authentication due to invalid credentials" in errors[0].str()
    producer.flush(0)
