"""The standalone project's web app served as the Dockerfile serves it: gunicorn, gthread workers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from chesanto_comms.embedded.ports import free_port
from tests.support.processes import ROOT


class Gunicorn:
    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 16):
        self.port = free_port()
        self.output = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
             "--graceful-timeout", "5"],
            env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "config.settings"}, cwd=ROOT,
            stdout=self.output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return Path(self.output.name).read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until /healthz answers 200 (the workers are up and reach the database)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited with {self.process.returncode}:\n{self.log()}"
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or its workers still starting
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn not ready within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()
        return self.process.returncode
