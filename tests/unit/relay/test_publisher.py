"""The publisher against the in-memory FakeProducer: what becomes of each row of a batch."""
import uuid
from datetime import datetime, timezone

import pytest
from confluent_kafka import KafkaError

from relay.publisher import Publisher
from relay.records import ClaimedRow
from relay.testing import FakeProducer


def rows(*keys: str, payload=None) -> list[ClaimedRow]:
    return [ClaimedRow(str(uuid.uuid4()), "auth", key, "auth.otp_requested", payload or {"n": i},
                       {"traceparent": None}, datetime.now(timezone.utc), seq=i)
            for i, key in enumerate(keys, start=1)]


def publisher_for(producer: FakeProducer) -> Publisher:
    return Publisher(producer_factory=producer.attach)


def error(code: int) -> KafkaError:
    return KafkaError(code)


def test_every_row_acked_in_order():
    producer = FakeProducer()
    batch = rows("a", "b", "a")
    result = publisher_for(producer).publish(batch)
    assert [a.row_id for a in result.acks] == [r.id for r in batch]
    assert result.failures == [] and result.held == [] and result.order_hazards == []
    assert [m.key() for m in producer.acked] == [b"a", b"b", b"a"]


def test_a_row_rejected_locally_holds_only_the_later_rows_of_its_key():
    too_large = lambda topic, key, value: error(KafkaError.MSG_SIZE_TOO_LARGE) if value == b'{"n":2}' else None
    producer = FakeProducer(reject=too_large)
    a1, a2, b3, a4, b5 = batch = rows("a", "a", "b", "a", "b")
    result = publisher_for(producer).publish(batch)
    assert [a.row_id for a in result.acks] == [a1.id, b3.id, b5.id]
    assert [(f.row_id, f.poison) for f in result.failures] == [(a2.id, True)]
    assert "MSG_SIZE_TOO_LARGE" in result.failures[0].error
    assert result.held == [a4.id]
    assert [m.value() for m in producer.acked] == [b'{"n":1}', b'{"n":3}', b'{"n":5}']  # a4 never produced


def test_an_unserialisable_row_is_poison_and_holds_its_key():
    a1, b2, a3 = batch = rows("a", "b", "a")
    a1.payload = {"n": float("inf")}  # what jsonb's 1e400 becomes in Python: not valid JSON
    result = publisher_for(FakeProducer()).publish(batch)
    assert [a.row_id for a in result.acks] == [b2.id]
    assert result.failures[0].poison and result.failures[0].error.startswith("unserialisable")
    assert result.held == [a3.id]


@pytest.mark.parametrize("code, poison", [
    (KafkaError.TOPIC_AUTHORIZATION_FAILED, True),
    (KafkaError.RECORD_LIST_TOO_LARGE, True),
    (KafkaError.INVALID_RECORD, True),
    (KafkaError._MSG_TIMED_OUT, False),
    (KafkaError._TRANSPORT, False),
    (KafkaError.NOT_ENOUGH_REPLICAS, False),
])
def test_broker_errors_are_the_rows_fault_or_circumstance(code, poison):
    producer = FakeProducer(fail=lambda topic, key, value: error(code) if key == b"a" else None)
    a1, b2 = batch = rows("a", "b")
    result = publisher_for(producer).publish(batch)
    assert [a.row_id for a in result.acks] == [b2.id]
    assert [(f.row_id, f.poison) for f in result.failures] == [(a1.id, poison)]
    assert (result.poison, result.transient) == ((result.failures, []) if poison else ([], result.failures))


def test_a_failure_acked_after_by_a_later_row_of_its_key_is_an_order_hazard():
    producer = FakeProducer(fail=lambda topic, key, value: error(KafkaError.INVALID_RECORD) if value == b'{"n":1}' else None)
    result = publisher_for(producer).publish(rows("a", "a", "b"))
    assert result.order_hazards == ["a"]


def test_nothing_acknowledged_in_time_is_taken_back_and_is_circumstance():
    producer = FakeProducer()
    producer.reachable = False
    publisher = publisher_for(producer)
    publisher.delivery_timeout = 0.1
    result = publisher.publish(rows("a", "b"))
    assert result.acks == [] and len(result.transient) == 2 and result.poison == []
    assert producer.purged == 2 and len(producer) == 0


def test_keys_held_by_an_unsettled_batch_are_not_produced():
    a1, b2 = batch = rows("a", "b")
    producer = FakeProducer()
    result = publisher_for(producer).publish(batch, held_keys={"a"})
    assert [a.row_id for a in result.acks] == [b2.id] and result.held == [a1.id] and result.failures == []


def test_a_fatal_error_rebuilds_the_producer_and_blames_no_row():
    made = []

    def factory(on_error):
        made.append(FakeProducer().attach(on_error))
        return made[-1]

    publisher = Publisher(producer_factory=factory)
    made[0].raise_fatal()
    result = publisher.publish(rows("a", "b"))
    assert len(made) == 2 and publisher.producer is made[1] and publisher.fatal_error is None
    assert result.acks == [] and result.poison == [] and all(f.fatal for f in result.transient)
    assert len(publisher.publish(rows("a")).acks) == 1  # the new producer works


def test_a_fenced_producer_is_rebuilt_even_if_librdkafka_does_not_call_it_fatal():
    made = []

    def factory(on_error):
        fenced = not made  # the first producer is fenced by the broker, the next one is not
        made.append(FakeProducer(fail=(lambda *_: error(KafkaError.PRODUCER_FENCED)) if fenced else None).attach(on_error))
        return made[-1]

    publisher = Publisher(producer_factory=factory)
    result = publisher.publish(rows("a", "b"))
    assert len(made) == 2 and result.acks == [] and result.poison == []
    assert len(publisher.publish(rows("a", "b")).acks) == 2
