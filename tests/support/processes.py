"""Starting `manage.py` commands as real processes, and stopping them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ManagedProcess:
    """`manage.py <args>` of this repository's project, or of another one (`project`, run by `python`)."""

    def __init__(self, *args: str, env: dict[str, str], project: Path = ROOT, python: str = sys.executable):
        self.args = args
        self.output = tempfile.NamedTemporaryFile(prefix=f"{args[0]}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [python, str(project / "manage.py"), *args],
            env={**os.environ, **env}, cwd=project, stdout=self.output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return Path(self.output.name).read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.running:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()
        return self.process.returncode
