"""What publishes the outbox's rows to Kafka (OUTBOX_PUBLISHER), and what follows from it.

- `relay`: `manage.py relay` claims committed rows and marks each published once the broker has
  it, so the table says what is published (backlog, parked rows, purge of published rows only).
- `debezium`: Kafka Connect's Debezium connector reads the rows' INSERTs from PostgreSQL's WAL
  (deploy/debezium/). It never writes to the table, so publication is not tracked there: rows
  are purged by age alone, and the relay refuses to start (both would publish every row).
"""
from __future__ import annotations

from enum import Enum

from chesanto_comms.conf import comms


class Publisher(Enum):
    RELAY = "relay"
    DEBEZIUM = "debezium"

    @property
    def tracks_publication(self) -> bool:
        """Whether `published_at` (and parking) says anything about a row."""
        return self is Publisher.RELAY


UNTRACKED = ("OUTBOX_PUBLISHER=debezium: Debezium reads the rows from the WAL and never marks them, so the "
             "table does not say which are published; watch the connector's status and its replication slot")


def publisher() -> Publisher:
    return Publisher(comms.OUTBOX_PUBLISHER)
