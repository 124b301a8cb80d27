"""What ApacheKafka and KafkaConnect share: a log4j2 file config, and a JVM child process that
is stopped with SIGTERM, then SIGKILL, and dies with its parent."""
from __future__ import annotations

import ctypes
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

# For tests on a small machine (measured on 2 cores): C1 only starts a broker ~1.5 s sooner
# (4.6 s vs 6.0-6.8 s) and a test JVM never runs long or hot enough for C2 to pay off; Serial GC
# has no GC threads competing for the cores. Production keeps Kafka's own defaults (G1, C2).
DEFAULT_JVM_OPTS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                    "-Dfile.encoding=UTF-8")
# Kafka's own KAFKA_JVM_PERFORMANCE_OPTS (bin/kafka-run-class.sh): for a JVM measured under sustained load.
PRODUCTION_JVM_OPTS = ("-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
                       "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8")

_PR_SET_PDEATHSIG = 1


def write_log4j2(path: Path, log_file: Path, levels: dict[str, str] | None = None) -> Path:
    """A log4j2 properties file: everything at INFO into one file, nothing on stdout."""
    lines = [
        "status = warn",
        "appender.file.type = File",
        "appender.file.name = FILE",
        f"appender.file.fileName = {log_file}",
        "appender.file.layout.type = PatternLayout",
        "appender.file.layout.pattern = [%d] %p %m (%c)%n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.file.ref = FILE",
    ]
    for n, (logger, level) in enumerate((levels or {}).items()):
        lines += [f"logger.l{n}.name = {logger}", f"logger.l{n}.level = {level}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def _die_with_parent() -> None:  # runs in the child, between fork and exec
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class JavaProcess:
    """One JVM; its stdout and stderr go to `console_log` (log4j writes the real log)."""

    def __init__(self, args: list[str], console_log: Path, cwd: Path, env: dict[str, str] | None = None):
        self.args = args
        self.console_log = console_log
        self.cwd = cwd
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "JavaProcess":
        with open(self.console_log, "ab") as out:
            # PR_SET_PDEATHSIG: should this Python process die without stopping the JVM (SIGKILL, a
            # crash), the kernel sends the JVM SIGTERM, so no broker outlives a test run. It fires
            # when the *thread* that started the JVM ends: start it from one that lives as long.
            self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                                            start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (a clean shutdown), then SIGKILL after `timeout` seconds; the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def wait_for(condition: Callable[[], bool], timeout: float, what: str, process: JavaProcess, log: Path,
             interval: float = 0.1) -> float:
    """Poll `condition()` until true; raise with the log's tail if the JVM exits or time runs out."""
    started = time.monotonic()
    while True:
        if not process.alive():
            code = process.process.returncode if process.process else None
            raise RuntimeError(f"{what}: the JVM exited with code {code} before it was ready; last lines of {log}:\n"
                               f"{tail(log)}\n--- console:\n{tail(process.console_log, 15)}")
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f}s; last lines of {log}:\n{tail(log)}")
        time.sleep(interval)
