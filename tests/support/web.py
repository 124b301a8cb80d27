"""The standalone project's web app as a real process: `manage.py runserver` (no reloader, so one
process) on a free loopback port, with exactly the environment a test gives it, so that what it
does comes from config/settings.py and that environment, as in production.

    with WebApp(standalone_env(database_url, ANYMAIL_WEBHOOK_SECRET="hook:pw")) as web:
        status, body = web.get("/healthz")
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

from chesanto_comms.embedded.ports import free_port
from tests.support.processes import ROOT
from tests.support.waiting import wait_until


def standalone_env(database_url: str, **variables: str) -> dict[str, str]:
    """The production environment of the README, on loopback and plain HTTP, plus `variables`."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "OUTBOX_SECRET_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # the test speaks plain HTTP to it, as a health check does
        **variables,
    }


class WebApp:
    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = tempfile.NamedTemporaryFile(prefix="runserver-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            env=env, cwd=ROOT, stdout=self.output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log(self) -> str:
        return Path(self.output.name).read_text(errors="replace")

    def request(self, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """The status and body of a GET (or, with a body, a POST); error statuses are answers too."""
        request = urllib.request.Request(self.url + path, data=body, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        return self.request(path)

    def wait_ready(self, timeout: float = 60.0) -> None:
        def answering() -> bool:
            assert self.process.poll() is None, f"runserver exited ({self.process.returncode}):\n{self.log()}"
            try:
                self.get("/healthz")
                return True
            except OSError:
                return False
        wait_until(answering, timeout=timeout, interval=0.2, what=f"runserver on port {self.port}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()
        return self.process.returncode

    def __enter__(self) -> "WebApp":
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
