import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from outbox import tracing

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_context_sets_and_restores():
    assert tracing.current_traceparent() is None
    with tracing.traceparent_context(TRACEPARENT):
        assert tracing.current_traceparent() == TRACEPARENT
    assert tracing.current_traceparent() is None
    with pytest.raises(ValueError, match="not a W3C traceparent"):
        with tracing.traceparent_context("00-zz"):
            pass


def test_middleware_uses_the_incoming_header_or_starts_a_trace():
    seen = []
    middleware = tracing.TraceparentMiddleware(lambda request: seen.append(tracing.current_traceparent()) or HttpResponse())
    middleware(RequestFactory().get("/", HTTP_TRACEPARENT=TRACEPARENT))
    middleware(RequestFactory().get("/", HTTP_TRACEPARENT="garbage"))
    assert seen[0] == TRACEPARENT
    assert tracing.is_valid(seen[1]) and seen[1] != TRACEPARENT
