"""A Kafka Connect worker for tests, with the Debezium PostgreSQL connector on its plugin.path.

    with ApacheKafka() as kafka, KafkaConnect(kafka.bootstrap_servers, config_file=...) as connect:
        connect.register("chesanto-outbox", config)   # PUT /connectors/<name>/config, wait for RUNNING

Distributed mode, as a docker-compose or Kubernetes worker runs: connector configs, source offsets
and statuses live in three compacted topics of the broker and everything goes through the REST API.
The worker's settings come from `config_file` (a connect-distributed.properties of one's own, which
a compose worker can use too), then this worker's own: the broker, a free REST port, the plugin.path
of the fetched jars, and a group and storage topics named for this worker, so that several workers
on one broker never meet; `properties` override all of them. `env` is added to the worker's
environment, for connector configs that read `${env:NAME}` (Kafka's EnvVarConfigProvider).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from chesanto_comms.embedded import jars
from chesanto_comms.embedded.apache_kafka import read_properties
from chesanto_comms.embedded.jvm import DEFAULT_JVM_OPTS, JavaProcess, tail, wait_for, write_log4j2
from chesanto_comms.embedded.ports import free_port

log = logging.getLogger(__name__)

MAIN = "org.apache.kafka.connect.cli.ConnectDistributed"

# For a test worker: offsets committed every second (Debezium confirms the LSN to PostgreSQL's
# slot after each commit; the default is a minute), a restarted worker gets its connectors back at
# once, a stopping task gets 5 s, and plugins are found through their META-INF/services manifests
# (Debezium 3.6 and Kafka's jars have them): the worker starts in 4-8 s instead of 10-14 s.
TEST_WORKER_PROPERTIES = {
    "offset.flush.interval.ms": "1000",
    "scheduled.rebalance.max.delay.ms": "0",
    "task.shutdown.graceful.timeout.ms": "5000",
    "plugin.discovery": "service_load",
    "config.storage.replication.factor": "1",
    "offset.storage.replication.factor": "1",
    "status.storage.replication.factor": "1",
    "offset.storage.partitions": "1",
    "status.storage.partitions": "1",
}


class ConnectorFailed(RuntimeError):
    """A connector or one of its tasks is FAILED, or its config was refused (the message carries Connect's trace)."""


class KafkaConnect:
    def __init__(self, bootstrap_servers: str, *, config_file: Path | None = None,
                 properties: dict[str, str] | None = None, env: dict[str, str] | None = None,
                 kafka_version: str = jars.KAFKA_VERSION, heap: str = "512m", startup_timeout: float = 120.0,
                 jvm_opts: tuple[str, ...] = DEFAULT_JVM_OPTS):
        self.bootstrap_servers = bootstrap_servers
        self.config = read_properties(config_file) if config_file else {}
        self.extra_properties = dict(properties or {})
        self.env = dict(env or {})
        self.kafka_version = kafka_version
        self.heap = heap
        self.startup_timeout = startup_timeout
        self.jvm_opts = jvm_opts
        self.instance = uuid.uuid4().hex[:8]
        self.port = 0
        self.work_dir: Path | None = None
        self.process: JavaProcess | None = None
        self.started_in: float | None = None  # seconds from start() to /health answering 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.work_dir / "connect.log"

    def worker_properties(self) -> dict[str, str]:
        name = f"chesanto-connect-{self.instance}"
        return {
            **TEST_WORKER_PROPERTIES,
            **self.config,
            "bootstrap.servers": self.bootstrap_servers,
            "listeners": f"http://127.0.0.1:{self.port}",
            "rest.advertised.host.name": "127.0.0.1",
            "rest.advertised.port": str(self.port),
            "plugin.path": jars.plugin_path(self.kafka_version),
            "group.id": name,
            "config.storage.topic": f"_{name}-configs",
            "offset.storage.topic": f"_{name}-offsets",
            "status.storage.topic": f"_{name}-status",
            **self.extra_properties,
        }

    def start(self) -> "KafkaConnect":
        began = time.monotonic()
        jars.fetch(self.kafka_version)
        self.work_dir = Path(tempfile.mkdtemp(prefix="chesanto-connect-"))
        self.port = free_port()
        config = self.work_dir / "worker.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in self.worker_properties().items()))
        write_log4j2(self.work_dir / "log4j2.properties", self.log_file,
                     {"org.apache.kafka.clients": "WARN", "org.apache.kafka.common.config": "WARN"})
        cmd = [jars.java_executable(), f"-Xmx{self.heap}", *self.jvm_opts,
               f"-Dlog4j2.configurationFile={self.work_dir / 'log4j2.properties'}",
               "-cp", jars.classpath("connect", self.kafka_version), MAIN, str(config)]
        try:
            self.process = JavaProcess(cmd, self.work_dir / "console.log", self.work_dir,
                                       env={**os.environ, **self.env}).start()
            wait_for(self._healthy, self.startup_timeout, "Kafka Connect", self.process, self.log_file)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        log.info("Kafka Connect on %s in %.1fs", self.url, self.started_in)
        return self

    def _healthy(self) -> bool:
        """KIP-1017's GET /health: 200 once the worker has joined its group and read its config topic."""
        try:
            return self.request("GET", "/health", timeout=2)[0] == 200
        except OSError:
            return False

    # --- REST ------------------------------------------------------------------------------
    def request(self, method: str, path: str, body=None, timeout: float = 30.0) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw) if raw else None
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def status(self, name: str) -> dict | None:
        code, body = self.request("GET", f"/connectors/{name}/status")
        return body if code == 200 else None

    def register(self, name: str, config: dict[str, str], timeout: float = 60.0) -> float:
        """Create or update a connector and wait until it and all its tasks are RUNNING; the seconds it took.

        RUNNING means the connector's start() returned: for Debezium, its replication slot exists, so a
        row committed from then on is captured."""
        began = time.monotonic()
        while True:
            code, body = self.request("PUT", f"/connectors/{name}/config", config)
            if code in (200, 201):
                break
            # 409: the worker is (re)joining its group; 503: not ready yet. Anything else is a refusal.
            if code not in (409, 503) or time.monotonic() - began > timeout:
                raise ConnectorFailed(f"PUT /connectors/{name}/config answered {code}: {body}")
            time.sleep(0.2)
        while True:
            state = self.status(name) or {}
            units = [state["connector"], *state.get("tasks", [])] if state else []
            if failed := [unit for unit in units if unit.get("state") == "FAILED"]:
                traces = "\n".join(unit.get("trace", "") for unit in failed)
                raise ConnectorFailed(f"connector {name} FAILED:\n{traces}\n--- log:\n{tail(self.log_file, 30)}")
            if len(units) > 1 and all(unit.get("state") == "RUNNING" for unit in units):
                return time.monotonic() - began
            if not self.process.alive():
                raise ConnectorFailed(f"the Connect worker died:\n{tail(self.log_file)}")
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"connector {name} not RUNNING after {timeout:.0f}s: {state}\n"
                                   f"{tail(self.log_file, 30)}")
            time.sleep(0.1)

    def delete(self, name: str) -> None:
        code, body = self.request("DELETE", f"/connectors/{name}")
        if code not in (204, 404):
            raise RuntimeError(f"DELETE /connectors/{name} answered {code}: {body}")

    # --- life cycle --------------------------------------------------------------------------
    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=30)
            self.process = None
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    def __enter__(self) -> "KafkaConnect":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
