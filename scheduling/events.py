"""A schedule's events for one tick, and the check the admin form runs before a schedule is saved."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from outbox.errors import InvalidEventData
from outbox.events import get_event_type

TICK_DATE, TICK_DATETIME = "{tick_date}", "{tick_datetime}"


def events_for(payload: dict[str, Any], audience: list[dict[str, Any]], tick: datetime) -> list[dict[str, Any]]:
    """One event's data per audience member (merged over the payload), placeholders filled in."""
    members = audience or [{}]
    return [_filled({**payload, **member}, tick) for member in members]


def _filled(value: Any, tick: datetime) -> Any:
    if isinstance(value, str):
        return value.replace(TICK_DATE, tick.date().isoformat()).replace(TICK_DATETIME, tick.isoformat())
    if isinstance(value, dict):
        return {k: _filled(v, tick) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, tick) for v in value]
    return value


def payload_problems(event_type: str, payload: Any, audience: Any, tick: datetime) -> dict[str, list[str]]:
    """What is wrong with a schedule's payload and audience for `event_type`, by form field; {} if nothing.
    Each event a tick would emit is validated against the event type's schema (an UnknownEventType raises)."""
    if not isinstance(payload, dict):
        return {"payload": ["must be a JSON object of the event's fields"]}
    if not isinstance(audience, list) or not all(isinstance(m, dict) for m in audience):
        return {"audience": ["must be a JSON list of objects, one per recipient"]}
    schema = get_event_type(event_type)
    problems: dict[str, list[str]] = {}
    for index, data in enumerate(events_for(payload, audience, tick)):
        try:
            schema.parse(data)
        except InvalidEventData as exc:
            where = f"recipient {index + 1}: " if audience else ""
            problems.setdefault("audience" if audience else "payload", []).extend(
                f"{where}{name}: {message}" for name, message in exc.problems.items())
    return problems
