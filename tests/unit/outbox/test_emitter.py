"""emit()'s own limits (outbox/limits.py): what PostgreSQL cannot store and what Kafka would refuse
are typed errors before the INSERT, so nothing is written and the caller's transaction goes on."""
from __future__ import annotations

import pytest
from django.db import connection, transaction

from outbox import EventTooLarge, InvalidEventData, emit
from outbox.events.samples import sample
from outbox.limits import NUL_PROBLEM
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def refused(error, event_type, data, **kwargs):
    """emit() inside the caller's transaction raises `error`; no row, and the transaction still works."""
    with transaction.atomic():
        before = OutboxEvent.objects.count()
        with pytest.raises(error) as caught:
            emit(event_type, data, **kwargs)
        with connection.cursor() as cursor:  # a DataError would have aborted the transaction here
            cursor.execute("SELECT 1")
        assert OutboxEvent.objects.count() == before
    return caught.value


def order(**changes):
    return {**sample("sales.order_confirmed"), **changes}


def test_a_nul_in_a_field_is_named_and_the_callers_transaction_goes_on():
    error = refused(InvalidEventData, "sales.order_confirmed", order(customer_name="Mama\x00Njeri"))
    assert error.problems == {"customer_name": NUL_PROBLEM}


def test_a_nul_in_a_nested_field_is_named_by_its_path():
    items = sample("sales.order_confirmed")["items"]
    items[2]["product"] = "Man\x00dazi"
    error = refused(InvalidEventData, "sales.order_confirmed", order(items=items))
    assert error.problems == {"items.2.product": NUL_PROBLEM}


def test_a_nul_beside_another_bad_field_is_named_too():
    error = refused(InvalidEventData, "sales.order_confirmed", order(customer_name="A\x00", total="-1"))
    assert error.problems.keys() == {"customer_name", "total"} and error.problems["customer_name"] == NUL_PROBLEM


def test_a_nul_in_the_key_or_the_actor_is_named():
    error = refused(InvalidEventData, "sales.order_confirmed", order(), key="ORD\x001", actor="7\x00")
    assert error.problems == {"key": f"as the partition key, {NUL_PROBLEM}", "actor": f"as the actor id, {NUL_PROBLEM}"}
    error = refused(InvalidEventData, "sales.order_confirmed", order(order_id="ORD\x001"))
    assert set(error.problems) == {"order_id"}  # the key field itself


@pytest.mark.parametrize("key, problem", [
    ("", "as the partition key, is empty; pass key=..."),
    ("k" * 256, "as the partition key, has 256 characters; at most 255"),
    ("ORD-\ud800", "as the partition key, is not valid Unicode text (a lone surrogate)"),
])
def test_a_key_postgresql_or_kafka_cannot_take_is_named(key, problem):
    assert refused(InvalidEventData, "sales.order_confirmed", order(), key=key).problems == {"key": problem}


def test_an_actor_too_long_or_not_text_is_named():
    assert set(refused(InvalidEventData, "sales.order_confirmed", order(), actor="a" * 256).problems) == {"actor"}
    assert set(refused(InvalidEventData, "sales.order_confirmed", order(), actor="\udfff").problems) == {"actor"}


def test_a_4_mb_event_is_refused_at_emit():
    lines = [{"product": "x" * 150, "quantity": "1", "unit_price": "1.00"}] * 20_000
    error = refused(InvalidEventData, "sales.order_confirmed", order(items=lines))
    assert "at most 200 items" in error.problems["items"]


def test_an_event_over_the_byte_limit_is_refused_naming_size_limit_and_setting(settings):
    settings.OUTBOX_MAX_EVENT_BYTES = 20_000
    lines = [{"product": f"Bread {n} " + "ü" * 100, "quantity": "1", "unit_price": "1.00"} for n in range(30)]
    emit("sales.order_confirmed", order(items=lines[:25]))  # ü is 6 bytes as JSON (\u00fc): about 17,900
    error = refused(EventTooLarge, "sales.order_confirmed", order(items=lines))  # about 21,200
    assert (error.limit, error.event_type) == (20_000, "sales.order_confirmed") and error.size > 20_000
    assert f"about {error.size:,} bytes" in str(error) and "OUTBOX_MAX_EVENT_BYTES=20,000" in str(error)


def test_the_default_limit_is_below_what_kafka_accepts():
    from chesanto_comms.conf import comms

    assert 16 * 1024 < comms.OUTBOX_MAX_EVENT_BYTES <= 1_000_000 - 50_000  # librdkafka's message.max.bytes, less room


def test_a_valid_event_is_written_as_compact_json():
    event_id = emit("sales.order_confirmed", order(), actor="7")
    row = OutboxEvent.objects.get(pk=event_id)
    assert row.payload["items"][0]["product"] == "White bread 400g" and row.headers["actor"] == "7"


def test_the_limit_cannot_be_set_below_16_kib(settings):
    from chesanto_comms.conf import SettingError, comms

    settings.OUTBOX_MAX_EVENT_BYTES = 16 * 1024 - 1
    with pytest.raises(SettingError, match="OUTBOX_MAX_EVENT_BYTES=16383: must be 16384 or more"):
        comms.OUTBOX_MAX_EVENT_BYTES  # noqa: B018
