"""A real Apache Kafka 4 broker for tests: one KRaft node in combined mode (broker + controller) on
free loopback ports, its data in a temporary folder that stop() deletes.

    with ApacheKafka() as kafka:
        Producer({"bootstrap.servers": kafka.bootstrap_servers, **kafka.client_properties})

The jars come from Maven Central through `jars.fetch()` (once, into a cache folder). Start-up is
`kafka-storage format --standalone` (kafka.tools.StorageTool, a random cluster id, SCRAM users
when asked) then `kafka-server-start` (kafka.Kafka), both as plain `java -cp`; the broker is ready
once it answers a Metadata request and its group coordinator is loaded. `started_in` says how long
that took (5-7 s on 2 cores, 10-12 s while they are busy).

A security set-up (SASL listener, authorizer, super users) comes from a server.properties file of
one's own (`config_file`), which a docker-compose broker can use too: its settings apply, except
the listeners, ports, node id, quorum and log folder, which are this broker's.
"""
from __future__ import annotations

import base64
import functools
import logging
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from chesanto_comms.embedded import jars
from chesanto_comms.embedded.jvm import DEFAULT_JVM_OPTS, JavaProcess, tail, wait_for, write_log4j2
from chesanto_comms.embedded.ports import free_port

log = logging.getLogger(__name__)

# A fast single-node test broker; everything else is Kafka's default.
TEST_BROKER_PROPERTIES = {
    # Internal topics on one node: replication 1 and one partition, created in milliseconds.
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "share.coordinator.state.topic.num.partitions": "1",
    # Classic-protocol groups: the first join is not held back 3 s waiting for more members.
    "group.initial.rebalance.delay.ms": "0",
    # KIP-848 ("consumer" protocol) groups learn of a new assignment at their next heartbeat, every
    # 5 s by default, and a silent member is dead after 45 s: a test wants both far sooner.
    "group.consumer.heartbeat.interval.ms": "500",
    "group.consumer.min.heartbeat.interval.ms": "500",
    "group.consumer.session.timeout.ms": "6000",
    "group.consumer.min.session.timeout.ms": "6000",
    "group.consumer.assignment.interval.ms": "0",
    # The product creates every topic it uses (chesanto_comms/topics.py: ensure_topics); a broker
    # that created them on first use would hide a missing call. auto_create_topics=True allows it.
    "auto.create.topics.enable": "false",
    "num.partitions": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
}

# What the product's clients should be given on this broker (as KAFKA_<NAME> variables, like the
# Tansu broker's in chesanto_comms/embedded/kafka.py). A classic-protocol group member learns of a
# rebalance at its next heartbeat, every 3 s in librdkafka: a second consumer joining or leaving
# took ~3 s (cooperative-sticky ~6 s) instead of ~0.5 s. Tansu's settings are not needed here: a
# real broker answers a waiting fetch as soon as data arrives and joins a group in ~0.1 s.
RECOMMENDED_CLIENT_SETTINGS = {
    "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
}

_SILENT = logging.getLogger("chesanto_comms.embedded.librdkafka")  # the launcher's own clients say nothing
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False


def random_cluster_id() -> str:
    """What `kafka-storage random-uuid` prints: 16 random bytes in URL-safe base64 without padding,
    never starting with '-' (org.apache.kafka.common.Uuid.randomUuid)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def read_properties(path: Path) -> dict[str, str]:
    """A Java .properties file's `key=value` lines (no continuation lines or escapes, which ours lack)."""
    props = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            key, _, value = line.partition("=")
            props[key.strip()] = value.strip()
    return props


class ApacheKafka:
    """One Apache Kafka 4 KRaft node in combined mode (process.roles=broker,controller).

    `listener`: the name, and unless `config_file`'s listener.security.protocol.map says otherwise
    the security protocol, of the listener clients use (PLAINTEXT, SASL_PLAINTEXT, …).
    `scram_users`: name -> password of SCRAM-SHA-512 users created at format (`--add-scram`).
    `jaas_file`: the broker's JAAS configuration (java.security.auth.login.config).
    `client_properties`: librdkafka properties the launcher's own clients need (a super user's
    credentials on a SASL listener); also what a caller's admin clients can use.
    `port`, `advertised_port`: the client listener's port (free if None) and the one the broker tells
    clients to use, if another: a TCP proxy's in front of it, which must then be listening first.
    """

    def __init__(self, *, kafka_version: str = jars.KAFKA_VERSION, heap: str = "512m",
                 auto_create_topics: bool = False, config_file: Path | None = None,
                 properties: dict[str, str] | None = None, listener: str = "PLAINTEXT",
                 scram_users: dict[str, str] | None = None, jaas_file: Path | None = None,
                 client_properties: dict[str, str] | None = None, port: int | None = None,
                 advertised_port: int | None = None, startup_timeout: float = 90.0,
                 jvm_opts: tuple[str, ...] = DEFAULT_JVM_OPTS):
        self.kafka_version = kafka_version
        self.heap = heap
        self.properties = {**TEST_BROKER_PROPERTIES, "auto.create.topics.enable": str(auto_create_topics).lower(),
                           **(read_properties(config_file) if config_file else {}), **(properties or {})}
        self.listener = listener
        self.scram_users = dict(scram_users or {})
        self.jaas_file = Path(jaas_file) if jaas_file else None
        self.client_properties = dict(client_properties or {})
        self.startup_timeout = startup_timeout
        self.jvm_opts = jvm_opts
        self.requested_port, self.advertised_port = port, advertised_port
        self.port = self.controller_port = 0
        self.work_dir: Path | None = None
        self.process: JavaProcess | None = None
        self.started_in: float | None = None  # seconds from start() to a broker that answers and has groups

    @property
    def bootstrap_servers(self) -> str:
        if not self.port:
            raise RuntimeError("ApacheKafka is not started")
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.work_dir / "server.log"

    def server_properties(self) -> dict[str, str]:
        """The configuration, with this node's own listeners, quorum and folder last."""
        protocols = f"CONTROLLER:PLAINTEXT,{self.listener}:{self.listener}"
        return {
            "listener.security.protocol.map": protocols,
            **self.properties,
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"{self.listener}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"{self.listener}://127.0.0.1:{self.advertised_port or self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": self.listener,
            # A dynamic (KIP-853) quorum of one, which is what `format --standalone` writes.
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "log.dirs": str(self.work_dir / "data"),
        }

    def _java(self, main: str, *args: str, heap: str) -> list[str]:
        options = [*self.jvm_opts, f"-Dlog4j2.configurationFile={self.work_dir / 'log4j2.properties'}"]
        if self.jaas_file:
            options.append(f"-Djava.security.auth.login.config={self.jaas_file}")
        return [jars.java_executable(), f"-Xmx{heap}", *options, "-cp", jars.classpath("broker", self.kafka_version),
                main, *args]

    def start(self) -> "ApacheKafka":
        began = time.monotonic()
        jars.fetch(self.kafka_version)
        self.work_dir = Path(tempfile.mkdtemp(prefix="chesanto-kafka-"))
        self.port, self.controller_port = self.requested_port or free_port(), free_port()
        config = self.work_dir / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in self.server_properties().items()))
        write_log4j2(self.work_dir / "log4j2.properties", self.log_file,
                     {"kafka.request.logger": "WARN", "state.change.logger": "WARN"})
        try:
            self._format(config)
            self.process = JavaProcess(self._java("kafka.Kafka", str(config), heap=self.heap),
                                       self.work_dir / "console.log", self.work_dir).start()
            self._wait_until_ready(self.startup_timeout - (time.monotonic() - began))
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        log.info("Apache Kafka %s on %s in %.1fs", self.kafka_version, self.bootstrap_servers, self.started_in)
        return self

    def _format(self, config: Path) -> None:
        """`kafka-storage format --standalone -t <id> -c server.properties [--add-scram …]`."""
        scram = [arg for name, password in self.scram_users.items()
                 for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")]
        cmd = self._java("kafka.tools.StorageTool", "format", "--standalone", "-t", random_cluster_id(),
                         "-c", str(config), *scram, heap="256m")
        result = subprocess.run(cmd, cwd=self.work_dir, capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"kafka-storage format failed (exit {result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{tail(self.log_file)}")

    def _wait_until_ready(self, timeout: float) -> None:
        settings = {"bootstrap.servers": self.bootstrap_servers, "logger": _SILENT, **self.client_properties}
        # One AdminClient for the whole wait, released here in this thread: a client that the GC
        # collects in librdkafka's background thread (where admin futures complete) can abort the
        # interpreter (confluent-kafka-python #2129/#2131).
        admin = AdminClient(settings)
        try:
            wait_for(functools.partial(_answers_metadata, admin), max(timeout, 5.0), "Kafka broker", self.process,
                     self.log_file, interval=0.05)
        finally:
            del admin
        _load_group_coordinator(settings)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    def __enter__(self) -> "ApacheKafka":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _answers_metadata(admin: AdminClient) -> bool:
    try:
        return bool(admin.list_topics(timeout=2).brokers)
    except Exception:  # noqa: BLE001 - KafkaException (_TRANSPORT, _TIMED_OUT): not yet
        return False


_COORDINATOR_NOT_READY = frozenset({KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_NOT_AVAILABLE,
                                    KafkaError.COORDINATOR_LOAD_IN_PROGRESS})


def _load_group_coordinator(settings: dict) -> None:
    """Have the broker create and load __consumer_offsets now: the first consumer group of a fresh
    broker otherwise waits ~3 s on COORDINATOR_NOT_AVAILABLE. A consumer's committed() (FindCoordinator
    + OffsetFetch, retried until the coordinator is loaded) does it in ~1 s. Not an AdminClient's
    list_consumer_group_offsets: librdkafka 2.16.0 segfaults (rd_kafka_handle_OffsetFetch) when that
    gets an error answer while the coordinator is still loading."""
    consumer = Consumer({**settings, "group.id": "chesanto-warm-up", "enable.auto.commit": False})
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                consumer.committed([TopicPartition("chesanto-warm-up", 0)], timeout=max(deadline - time.monotonic(), 1))
                return
            except KafkaException as exc:  # NOT_COORDINATOR while the coordinator moves in: ask again
                if not exc.args[0].retriable() and exc.args[0].code() not in _COORDINATOR_NOT_READY \
                        or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()


if __name__ == "__main__":  # python -m chesanto_comms.embedded.apache_kafka: one broker until Enter or Ctrl-C
    logging.basicConfig(level=logging.INFO)
    with ApacheKafka() as kafka:
        print(f"bootstrap.servers={kafka.bootstrap_servers} (started in {kafka.started_in:.1f}s, log {kafka.log_file})")
        try:
            input("Enter to stop> ")
        except (EOFError, KeyboardInterrupt):
            pass
