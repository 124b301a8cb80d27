"""W3C trace context for emitted events.

The traceparent active when `emit()` runs is stored in the row's headers and sent
as the Kafka `traceparent` header. A request's incoming `traceparent` header is
made current by `TraceparentMiddleware`; code outside a request can use
`traceparent_context(...)`. With none current, emit starts a new trace.
"""
from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_current: ContextVar[str | None] = ContextVar("traceparent", default=None)


def is_valid(traceparent: str | None) -> bool:
    match = _TRACEPARENT.match(traceparent or "")
    return bool(match) and match.group(1) != "0" * 32 and match.group(2) != "0" * 16


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def current_traceparent() -> str | None:
    return _current.get()


def trace_id(traceparent: str) -> str:
    return traceparent.split("-")[1]


@contextmanager
def traceparent_context(traceparent: str):
    if not is_valid(traceparent):
        raise ValueError(f"not a W3C traceparent: {traceparent!r}")
    token = _current.set(traceparent)
    try:
        yield traceparent
    finally:
        _current.reset(token)


class TraceparentMiddleware:
    """Makes the request's `traceparent` header (or a new one) current for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("traceparent")
        with traceparent_context(incoming if is_valid(incoming) else new_traceparent()):
            return self.get_response(request)
