"""What happened to an event after emit, as shown on its admin page.

The outbox knows only its own part (emitted, published to Kafka). Other apps add
theirs by registering a source: a function (event id, visible) -> Timeline, which
leaves out the rows of every model `visible` refuses (the viewer may not see that
model's rows) and says that it did, whether or not there were any.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

Visible = Callable[[type], bool]  # whether the viewer may see rows of a model (the admin: its view permission)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | None
    what: str
    detail: str = ""
    url: str = ""  # admin link, if any


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry] = field(default_factory=list)
    withheld: bool = False  # some models were left out, unseen: the viewer may not see their rows


_SOURCES: list[Callable[[object, Visible], Timeline]] = []


def register_timeline_source(source: Callable[[object, Visible], Timeline]) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def timeline(event, visible: Visible) -> Timeline:
    """The event's timeline, oldest first, with only what `visible` lets the viewer see."""
    entries = [TimelineEntry(event.created_at, "emitted", f"{event.type}, key {event.aggregateid}")]
    if event.published_at:
        entries.append(TimelineEntry(
            event.published_at, "published to Kafka",
            f"{event.kafka_topic} partition {event.kafka_partition} offset {event.kafka_offset}"))
    elif getattr(event, "parked_at", None):
        entries.append(TimelineEntry(event.parked_at, "parked", event.last_error))
    withheld = False
    for source in _SOURCES:
        part = source(event.id, visible)
        entries.extend(part.entries)
        withheld = withheld or part.withheld
    return Timeline(sorted(entries, key=lambda e: (e.at is None, e.at or datetime.min)), withheld)
