"""Log records that carry the event they are about.

`log_context(event_id=..., trace_id=...)` makes those fields current for the code it
wraps (a worker delivering one event); `EventContextFilter` copies them onto every
record, so each line about an event names it. LOG_FORMAT=json writes one JSON object
per line (python-json-logger), LOG_FORMAT=plain a readable line.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar

_context: ContextVar[dict[str, str]] = ContextVar("log_context", default={})
FIELDS = ("event_id", "trace_id")

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [event=%(event_id)s trace=%(trace_id)s] %(message)s"
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(event_id)s %(trace_id)s %(message)s"


@contextmanager
def log_context(**fields: str | None):
    token = _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class EventContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = _context.get()
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, current.get(name, "-"))
        return True


def logging_config(log_format: str, level: str) -> dict:
    if log_format not in ("plain", "json"):
        raise ValueError(f"LOG_FORMAT={log_format!r}: use 'plain' or 'json'")
    formatter = (
        {"()": "pythonjsonlogger.json.JsonFormatter", "format": JSON_FORMAT, "rename_fields": {"levelname": "level", "asctime": "time"}}
        if log_format == "json" else {"format": PLAIN_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"event_context": {"()": "config.logging.EventContextFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["event_context"]}},
        "root": {"handlers": ["console"], "level": level},
    }
