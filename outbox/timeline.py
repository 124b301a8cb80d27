"""What happened to an event after emit, as shown on its admin page.

The outbox knows only its own part (emitted, published to Kafka). Other apps add
theirs by registering a source: a function (event id) -> list of TimelineEntry.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | None
    what: str
    detail: str = ""
    url: str = ""  # admin link, if any


_SOURCES: list[Callable] = []


def register_timeline_source(source: Callable) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def timeline(event) -> list[TimelineEntry]:
    entries = [TimelineEntry(event.created_at, "emitted", f"{event.type}, key {event.aggregateid}")]
    if event.published_at:
        entries.append(TimelineEntry(
            event.published_at, "published to Kafka",
            f"{event.kafka_topic} partition {event.kafka_partition} offset {event.kafka_offset}"))
    elif getattr(event, "parked_at", None):
        entries.append(TimelineEntry(event.parked_at, "parked", event.last_error))
    for source in _SOURCES:
        entries.extend(source(event.id))
    return sorted(entries, key=lambda e: (e.at is None, e.at or datetime.min))
