"""Property: for every event type and arbitrary data, key and actor, emit() either writes exactly one
row or raises a typed error (InvalidEventData, UnknownEventType, EventTooLarge) having written
nothing, and the caller's transaction can go on. Bounded, so it runs in the default suite."""
from __future__ import annotations

import time
import typing
from collections import Counter
from contextlib import nullcontext

import pytest
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from outbox import EventTooLarge, InvalidEventData, UnknownEventType, emit
from outbox.events import event_types
from outbox.events.samples import sample
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db

EXAMPLES = 1200
TYPED = (InvalidEventData, UnknownEventType, EventTooLarge)
# NUL, lone surrogates, other scripts' digits (Arabic-Indic, Persian, Devanagari, full-width), invisible
# and bidi marks, line breaks, an emoji, a letter JSON escapes.
ODD = "\x00\ud800\udfff٧١٢۳४५０９\u200b\ufeff\u202e\u0301\n\r\t 🍞ü\\\""
HUGE = ["9" * 5000, "x" * 1_100_000, "1e999999", "-0", "٧" * 300]

odd_text = st.one_of(
    st.text(st.one_of(st.characters(), st.sampled_from(ODD)), max_size=30),
    st.sampled_from(HUGE),
)
numbers = st.one_of(st.integers(), st.integers(min_value=-(10 ** 400), max_value=10 ** 400), st.floats(),
                    st.decimals(allow_nan=True))
scalars = st.one_of(st.none(), st.booleans(), numbers, odd_text)
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(odd_text, inner, max_size=6)),
    max_leaves=40,
)


@st.composite
def mutated(draw, value, depth=0):
    """`value` (a valid sample's field) changed in one place: an odd character, a repeat, arbitrary JSON."""
    if isinstance(value, str) and draw(st.booleans()):
        at = draw(st.integers(0, len(value)))
        return value[:at] + draw(st.sampled_from(ODD)) + value[at:]
    if isinstance(value, list) and value and depth < 3:
        choice = draw(st.sampled_from(["element", "repeat"]))
        if choice == "repeat":  # around and past the lists' maxima
            return value * draw(st.sampled_from([2, 50, 51, 125, 126]))  # the samples have 4 lines: 200, 500
        at = draw(st.integers(0, len(value) - 1))
        return [*value[:at], draw(mutated(value[at], depth + 1)), *value[at + 1:]]
    if isinstance(value, dict) and value and depth < 3:
        name = draw(st.sampled_from(sorted(value)))
        return {**value, name: draw(mutated(value[name], depth + 1))}
    return draw(json_values)


def grown(model, data: dict) -> dict:
    """`data` as large as `model` allows: lists repeated to their maximum, plain text fields filled
    to theirs with a letter JSON writes in 6 bytes (\\u00fc): the largest valid events, near the limits."""
    for name, value in list(data.items()):
        field = model.model_fields[name]
        longest = next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), 0)
        if isinstance(value, list) and value and longest:
            item = typing.get_args(field.annotation)[0]
            value = (value * longest)[:longest]
            data[name] = [grown(item, dict(v)) for v in value] if isinstance(item, type) and issubclass(
                item, BaseModel) else value
        elif field.annotation is str and longest and {type(m).__name__ for m in field.metadata} <= {"MinLen", "MaxLen"}:
            data[name] = "ü" * longest
    return data


@st.composite
def emits(draw):
    """(event type, data, key, actor): a sample with up to three fields mutated, dropped or added."""
    event_type = draw(st.sampled_from([*sorted(event_types()), "auth.no_such_type"]))
    if event_type not in event_types():
        return event_type, draw(json_values), None, None
    data = sample(event_type)
    if draw(st.integers(0, 2)) == 0:  # valid, and large: written, or too large for a small byte limit
        return event_type, grown(event_types()[event_type], data), None, draw(st.one_of(st.none(), st.integers(1)))
    for name in draw(st.sets(st.sampled_from(sorted(event_types()[event_type].model_fields)), max_size=3)):
        if name in data and draw(st.integers(0, 5)) == 0:
            del data[name]
        else:
            data[name] = draw(mutated(data.get(name)))
    if draw(st.integers(0, 9)) == 0:
        data[draw(odd_text)] = draw(json_values)
    if draw(st.integers(0, 19)) == 0:
        data = draw(json_values)  # not even a mapping
    key = draw(st.one_of(st.none(), st.none(), odd_text, st.integers()))
    actor = draw(st.one_of(st.none(), st.integers(min_value=1), odd_text))
    return event_type, data, key, actor


outcomes: Counter[str] = Counter()
seen_types: set[str] = set()


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(case=emits(), byte_limit=st.sampled_from([None, None, 16 * 1024, 20_000]))
def check_emit(case, byte_limit):
    event_type, data, key, actor = case
    seen_types.add(event_type)
    limit = override_settings(OUTBOX_MAX_EVENT_BYTES=byte_limit) if byte_limit else nullcontext()
    with limit, transaction.atomic():  # a savepoint in the test's transaction, rolled back below
        before = OutboxEvent.objects.count()
        try:
            emit(event_type, data, key=key, actor=actor)
        except TYPED as exc:
            outcomes[type(exc).__name__] += 1
            assert OutboxEvent.objects.count() == before, "a failed emit() wrote a row"
            if isinstance(exc, InvalidEventData):
                assert exc.problems, "InvalidEventData names no field"
        else:
            outcomes["written"] += 1
            assert OutboxEvent.objects.count() == before + 1
        with connection.cursor() as cursor:  # the caller's transaction is still usable
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        transaction.set_rollback(True)


def test_emit_succeeds_or_raises_a_typed_error_and_writes_nothing_else(capsys):
    outcomes.clear()
    seen_types.clear()
    started = time.monotonic()
    check_emit()
    elapsed = time.monotonic() - started
    runs = sum(outcomes.values())
    with capsys.disabled():
        print(f"\nemit() property: {runs} examples in {elapsed:.1f} s: {dict(sorted(outcomes.items()))}")
    assert runs >= EXAMPLES * 0.9
    assert seen_types >= set(event_types()), "every event type was tried"
    assert outcomes["written"] and outcomes["InvalidEventData"] and outcomes["EventTooLarge"]
