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
        "filters": {"event_context": {"()": "chesanto_comms.logging.EventContextFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["event_context"]}},
        "root": {"handlers": ["console"], "level": level},
    }


# The loggers of the apps, which a long-running command makes sure print somewhere.
PRODUCT_LOGGERS = ("outbox", "relay", "consumers", "chesanto_comms")


def ensure_console_logging(level: int = logging.INFO) -> None:
    """Give the apps' loggers a console handler at INFO when the project configured none.

    A host project that never set up LOGGING has no handler on the root logger, and Python's
    last-resort handler prints only warnings: `relay` and `consume` would say nothing, not even
    that they started. A project that configured the root logger (or these loggers) keeps its own.
    """
    if logging.getLogger().handlers or any(logging.getLogger(name).handlers for name in PRODUCT_LOGGERS):
        return
    from chesanto_comms.conf import comms

    formatter = logging_config(comms.LOG_FORMAT, "INFO")["formatters"]["default"]
    handler = logging.StreamHandler()
    handler.addFilter(EventContextFilter())
    if "()" in formatter:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(formatter["format"], rename_fields=formatter["rename_fields"]))
    else:
        handler.setFormatter(logging.Formatter(formatter["format"]))
    for name in PRODUCT_LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > level:
            logger.setLevel(level)
