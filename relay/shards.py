"""Dividing the outbox's shards between the running relays with PostgreSQL advisory locks.

Every row carries a shard fixed at emit (crc32(key) % OUTBOX_SHARDS), so all rows of a key
share one. A relay claims only rows of shards it owns, and owns a shard by holding a session
advisory lock on it, taken on the very connection it claims and marks with:

- one relay at a time owns a shard, so one relay at a time publishes a key, in order;
- a relay whose session ends (SIGKILL, crash, network cut) loses its locks the moment
  PostgreSQL notices (at once for a closed socket, within ~8 s of TCP keepalives for a
  silent peer); the others pick the shards up at their next rebalance;
- each relay also holds a shared "member" lock, so every relay sees how many are alive
  (pg_locks) and takes a fair share: members sorted by backend pid, member i of n owns
  S // n shards, plus one if i < S % n. A relay above its share releases the excess
  between batches, a relay below it takes free shards.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg

log = logging.getLogger(__name__)

LOCK_SPACE = 0x6F757462  # key1 of every advisory lock the relay takes ("outb"); key2 is the shard
MEMBER_KEY = 1_000_000  # key2 of the shared lock each live relay holds (above any shard number)

# Advisory locks held in this database in our key space: members (shared) and shard owners.
LOCKS = """
SELECT l.objid::bigint AS key, l.pid, a.application_name, a.client_addr::text, a.backend_start
FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = %s::bigint::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
TAKE = "SELECT s FROM unnest(%s::int[]) AS s WHERE pg_try_advisory_lock(%s, s)"
RELEASE = "SELECT count(*) FILTER (WHERE pg_advisory_unlock(%s, s)) FROM unnest(%s::int[]) AS s"


@dataclass(frozen=True)
class Holder:
    pid: int
    application_name: str | None
    client_addr: str | None
    backend_start: object | None


@dataclass(frozen=True)
class Ownership:
    members: list[Holder]  # live relays, by backend pid
    owners: dict[int, Holder]  # shard -> the relay holding it


def ownership(cursor) -> Ownership:
    """Who holds what now; `cursor` is any DB-API cursor on the outbox's database (psycopg or Django)."""
    members, owners = {}, {}
    cursor.execute(LOCKS, (LOCK_SPACE,))
    for key, pid, app, addr, started in cursor.fetchall():
        holder = Holder(pid, app, addr, started)
        if key == MEMBER_KEY:
            members[pid] = holder
        else:
            owners[int(key)] = holder
    return Ownership([members[pid] for pid in sorted(members)], owners)


def fair_share(shards: int, members: list[int], me: int) -> int:
    """How many shards `me` should own when `members` (backend pids) are alive."""
    ordered = sorted(set(members) | {me})
    index = ordered.index(me)
    return shards // len(ordered) + (1 if index < shards % len(ordered) else 0)


class ShardLeases:
    """The shards this relay owns; `rebalance()` moves towards a fair share. Not thread-safe."""

    def __init__(self, conn: psycopg.Connection, shards: int):
        self.conn = conn
        self.shards = shards
        self.pid = conn.info.backend_pid
        self.owned: list[int] = []
        conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (LOCK_SPACE, MEMBER_KEY))

    def rebalance(self) -> bool:
        """Release shards above our fair share or take free ones below it. True if ownership changed."""
        with self.conn.cursor() as cursor:
            state = ownership(cursor)
        mine = sorted(s for s, holder in state.owners.items() if holder.pid == self.pid and s < self.shards)
        share = fair_share(self.shards, [m.pid for m in state.members], self.pid)
        before = self.owned
        if len(mine) > share:
            excess = mine[share:]
            self.conn.execute(RELEASE, (LOCK_SPACE, excess))
            mine = mine[:share]
        elif len(mine) < share:
            free = [s for s in range(self.shards) if s not in state.owners]
            if free:  # start somewhere of our own, so relays joining together race less for the same shards
                start = self.pid % len(free)
                free = free[start:] + free[:start]
                taken = [row[0] for row in self.conn.execute(TAKE, (free[:share - len(mine)], LOCK_SPACE)).fetchall()]
                mine = sorted(mine + taken)
        self.owned = mine
        if mine != before:
            log.info("relay owns %d of %d shards (fair share %d, %d relays): %s",
                     len(mine), self.shards, share, max(len(state.members), 1), _ranges(mine))
        return mine != before


def _ranges(shards: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0-2,5,7-8'."""
    parts, start, prev = [], None, None
    for s in shards:
        if start is None:
            start = prev = s
        elif s == prev + 1:
            prev = s
        else:
            parts.append(f"{start}-{prev}" if prev != start else str(start))
            start = prev = s
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else str(start))
    return ",".join(parts) or "none"
