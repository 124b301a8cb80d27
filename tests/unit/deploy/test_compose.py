"""docker-compose.yml cannot run here (no Docker engine): its structure is checked instead, and that it
uses the deploy/ files the tests run, consistently (versions, paths, variables, credentials)."""
import json
import re
from pathlib import Path

import pytest
import yaml

from chesanto_comms.embedded import jars
from chesanto_comms.embedded.apache_kafka import read_properties

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def env_of(service: dict) -> dict[str, str]:
    return {name: str(value) for name, value in service.get("environment", {}).items()}


def test_profiles_hold_their_services_and_the_default_stack_stays_as_it_was(services):
    profiles = {name: tuple(service.get("profiles", ())) for name, service in services.items()}
    assert {name for name, p in profiles.items() if not p} == {
        "postgres", "kafka", "mailpit", "migrate", "relay", "email-consumer", "web"}
    assert {name for name, p in profiles.items() if p == ("debezium",)} == {"debezium-plugin", "connect",
                                                                          "connect-register"}
    assert {name for name, p in profiles.items() if p == ("scheduling",)} == {"scheduler"}
    assert {name for name, p in profiles.items() if p == ("sasl",)} == {"kafka-sasl", "kafka-sasl-acls", "relay-sasl",
                                                                      "email-consumer-sasl"}


def test_brokers_and_connect_run_the_kafka_the_tests_run(services):
    for name in ("kafka", "connect", "kafka-sasl"):
        assert services[name]["image"] == f"apache/kafka:{jars.KAFKA_VERSION}", name


def test_every_file_mounted_from_the_repository_exists(services):
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}"


def test_the_connector_s_variables_are_all_set_on_the_worker(services):
    wanted = set(re.findall(r"\$\{env:(\w+)\}", (DEPLOY / "debezium" / "outbox-connector.json").read_text()))
    assert wanted and wanted <= set(env_of(services["connect"]))
    json.loads((DEPLOY / "debezium" / "outbox-connector.json").read_text())  # what connect-register PUTs


def test_the_worker_finds_the_plugin_where_maven_puts_it(services):
    worker = read_properties(DEPLOY / "debezium" / "connect-distributed.properties")
    fetched = re.search(r"-Dchesanto.out=(\S+)", services["debezium-plugin"]["command"][-1]).group(1)
    assert worker["plugin.path"] == f"{fetched}/debezium"  # the debezium module's folder (maven/debezium/pom.xml)
    assert services["connect"]["command"][-1] == "/etc/chesanto/debezium/connect-distributed.properties"
    assert "outbox-connector.json" in services["connect-register"]["command"][0]


def test_postgres_writes_logical_wal(services):
    assert "wal_level=logical" in services["postgres"]["command"]


def test_the_sasl_pipeline_authenticates_as_the_principals_of_the_acl_file(services):
    users = dict(line.split() for line in (DEPLOY / "kafka-sasl" / "scram-users.txt").read_text().splitlines()
                 if line.strip() and not line.startswith("#"))
    acls = (DEPLOY / "kafka-sasl" / "acls.txt").read_text()
    for name, operation in (("relay-sasl", "WRITE"), ("email-consumer-sasl", "READ"), ("kafka-sasl-acls", None)):
        env = env_of(services[name])
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka-sasl:9092" and env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert users[env["KAFKA_SASL_USERNAME"]] == env["KAFKA_SASL_PASSWORD"], name
        if operation:
            assert re.search(rf"^User:{env['KAFKA_SASL_USERNAME']}\s+{operation}\s", acls, re.M), name
    assert read_properties(DEPLOY / "kafka-sasl" / "server.properties")["super.users"] == "User:admin"
