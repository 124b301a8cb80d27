"""The HTTP endpoint every long-running process serves: /metrics (Prometheus) and /healthz.

`/healthz` answers 200 with {"status": "ok", ...} while the process's health check
passes and 503 with {"status": "unavailable", ...} otherwise. Port 0 disables the server. It
listens on the host given (RELAY_METRICS_ADDRESS / CONSUMER_METRICS_ADDRESS), loopback unless
told otherwise; no one is asked who they are, so a health check's details are counts, states and
the names of what is down (`"down": ["database"]`), never an error's text (that goes to the log).
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = logging.getLogger(__name__)

HealthCheck = Callable[[], tuple[bool, dict]]


class StatusServer:
    def __init__(self, port: int, health: HealthCheck, host: str = "127.0.0.1"):
        self.port = port
        self.health = health
        self.host = host
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "StatusServer":
        if not self.port:
            return self
        health = self.health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                if self.path.split("?")[0] == "/metrics":
                    self._reply(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
                elif self.path.split("?")[0] == "/healthz":
                    ok, details = health()
                    body = json.dumps({"status": "ok" if ok else "unavailable", **details}).encode()
                    self._reply(200 if ok else 503, body, "application/json")
                else:
                    self._reply(404, b"not found: try /metrics or /healthz\n", "text/plain")

            def _reply(self, code: int, body: bytes, content_type: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # scrapes every few seconds: keep them out of the logs
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="status-server", daemon=True).start()
        log.info("serving /metrics and /healthz on %s port %d", self.host, self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
