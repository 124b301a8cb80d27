"""The relay's own psycopg connection (it works below the ORM for speed, LISTEN and advisory locks)."""
from __future__ import annotations

import os
import socket

import psycopg
from django.conf import settings
from psycopg.conninfo import make_conninfo

from chesanto_comms.conf import comms

# Dead-peer detection on both ends of the TCP connection. The server side matters most: the
# relay's shard locks live in its session, so a relay cut off by the network must lose them
# within seconds (4 + 2 x 2 s of unanswered keepalives; 8 s of unacknowledged data), not after
# the kernel's two-hour default.
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 4, 2, 2
USER_TIMEOUT_MS = 8000


def application_name() -> str:
    """What `outbox_status` and pg_stat_activity show for this relay: host and process id."""
    return f"chesanto-relay {socket.gethostname()}:{os.getpid()}"[:63]


def conninfo(alias: str = "default") -> str:
    db = settings.DATABASES[alias]
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
        "application_name": application_name(),
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE,
        "keepalives_interval": KEEPALIVE_INTERVAL,
        "keepalives_count": KEEPALIVE_COUNT,
    }
    params.update({k: v for k, v in db.get("OPTIONS", {}).items() if isinstance(v, (str, int))})
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def connect(autocommit: bool = True, connect_timeout: int = 5) -> psycopg.Connection:
    """An autocommit connection: the relay opens no transaction that could outlive a statement."""
    conn = psycopg.connect(conninfo(), autocommit=autocommit, connect_timeout=connect_timeout)
    conn.execute(
        "SELECT set_config('tcp_keepalives_idle', %s, false), set_config('tcp_keepalives_interval', %s, false),"
        " set_config('tcp_keepalives_count', %s, false), set_config('tcp_user_timeout', %s, false),"
        " set_config('synchronous_commit', %s, false), set_config('TimeZone', 'UTC', false),"
        # Every relay statement has one right plan: an ordered scan of the unpublished rows' index, or
        # look-ups by id. Without these the planner, misled by a table never analysed (or analysed when
        # all was published), sorts or hashes the whole backlog for each batch (store.py, docs/relay.md).
        " set_config('enable_sort', 'off', false), set_config('enable_hashjoin', 'off', false),"
        " set_config('enable_mergejoin', 'off', false),"
        # Those switches price a statement with a sort (RELEASE orders its few due rows) past
        # jit_above_cost, and JIT-compiling it took 0.5 s for a statement that runs in 0.2 ms.
        " set_config('jit', 'off', false)",
        (str(KEEPALIVE_IDLE), str(KEEPALIVE_INTERVAL), str(KEEPALIVE_COUNT), str(USER_TIMEOUT_MS),
         "on" if comms.RELAY_SYNCHRONOUS_COMMIT else "off"),
    )
    return conn
