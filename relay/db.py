"""The relay's own psycopg connections (it works below the ORM for speed and LISTEN)."""
from __future__ import annotations

import psycopg
from django.conf import settings
from psycopg.conninfo import make_conninfo


def conninfo(alias: str = "default") -> str:
    db = settings.DATABASES[alias]
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
        "application_name": "chesanto-relay",
    }
    params.update({k: v for k, v in db.get("OPTIONS", {}).items() if isinstance(v, (str, int))})
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def connect(autocommit: bool = False, connect_timeout: int = 5) -> psycopg.Connection:
    return psycopg.connect(conninfo(), autocommit=autocommit, connect_timeout=connect_timeout)
