"""Faults injected into running processes: their own topics and groups (a fault's leftovers, copies on
a retry topic, never reach another module's consumers), and the means to break things."""
from __future__ import annotations

import itertools
import uuid
import zlib

import pytest
from django.db import connection

from consumers.workers import LANES
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def own_env(comms_env: dict[str, str], name: str, **settings: str) -> dict[str, str]:
    run = f"{name}-{uuid.uuid4().hex[:6]}"
    return {**comms_env, "OUTBOX_TOPIC_PREFIX": f"{comms_env['OUTBOX_TOPIC_PREFIX']}{run}.",
            "CONSUMER_GROUP_PREFIX": f"{comms_env['CONSUMER_GROUP_PREFIX']}{run}-", **settings}


def terminate_connections(application_name_prefix: str) -> int:
    """pg_terminate_backend every connection of this database whose application_name starts so
    (`chesanto-consume email` names a consumer's; chesanto_comms/startup.py); how many there were."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND application_name LIKE %s",
                       [application_name_prefix.replace("%", r"\%") + "%"])
        return cursor.fetchone()[0]


def started(process: ManagedProcess, timeout: float = 60.0) -> ManagedProcess:
    """Wait until a consumer says it is reading (it has subscribed; its group join follows)."""
    wait_until(lambda: "reading" in process.log() or not process.running, timeout=timeout,
               what=f"{' '.join(process.args)} to start")
    assert process.running, process.log()
    return process


def lease_token(process: ManagedProcess) -> str:
    """The token a consumer claims log rows under, from its start-up line."""
    line = next(line for line in process.log().splitlines() if "claims as " in line)
    return line.rsplit("claims as ", 1)[1].strip()


def keys_in_lanes(lanes: list[int], n: int) -> list[str]:
    """`n` record keys that a consumer sends from the given lanes (consumers/workers.py). A lane sends
    its keys' records in order, so records meant to be in flight together need lanes of their own."""
    keys = (f"fault-{uuid.uuid4().hex}" for _ in itertools.count())
    return list(itertools.islice((k for k in keys if zlib.crc32(k.encode()) % LANES in lanes), n))
