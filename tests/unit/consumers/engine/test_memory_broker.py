"""The in-memory broker behaves as librdkafka does where the consume loop relies on it
(consumers/testing/memory_broker.py); no database, no Kafka."""
from __future__ import annotations

import threading

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumers.publish import RecordTooLarge, publish_and_wait
from consumers.testing.memory_broker import MemoryBroker

CONFIG = {"group.id": "g", "enable.auto.commit": "false", "enable.auto.offset.store": "false",
          "auto.offset.reset": "earliest"}


def joined(broker: MemoryBroker, topics=("t",), **config):
    consumer = broker.Consumer({**CONFIG, **config})
    calls = []
    consumer.subscribe(list(topics), on_assign=lambda c, ps: calls.append(("assign", sorted((p.topic, p.partition) for p in ps))),
                       on_revoke=lambda c, ps: calls.append(("revoke", sorted((p.topic, p.partition) for p in ps))))
    return consumer, calls


def test_records_are_read_in_order_from_the_committed_offset_and_a_commit_needs_a_stored_one():
    broker = MemoryBroker()
    broker.ensure_topics(["t"])
    for n in range(3):
        broker.publish("t", f"v{n}", key="k", headers=[("h", b"x")])
    consumer, calls = joined(broker)
    first = consumer.poll(0)
    assert calls == [("assign", [("t", 0)])]
    assert (first.topic(), first.partition(), first.offset(), first.key(), first.value(), first.headers(), first.error()) == (
        "t", 0, 0, b"k", b"v0", [("h", b"x")], None)
    assert [m.offset() for m in consumer.consume(10, timeout=0)] == [1, 2]
    with pytest.raises(KafkaException) as nothing:
        consumer.commit(asynchronous=False)
    assert nothing.value.args[0].code() == KafkaError._NO_OFFSET  # the loop's _commit expects exactly this
    consumer.store_offsets(offsets=[TopicPartition("t", 0, 2)])
    consumer.commit(asynchronous=False)
    assert broker.committed("g") == {("t", 0): 2}
    consumer.close()
    again, _ = joined(broker)
    assert again.poll(0).offset() == 2  # a new member starts where the group committed
    assert again.committed([TopicPartition("t", 0)])[0].offset == 2


def test_storing_the_offset_of_a_partition_not_held_raises_kafka_exception():
    broker = MemoryBroker()
    broker.ensure_topics(["t"])
    consumer, _ = joined(broker)
    consumer.poll(0)
    with pytest.raises(KafkaException) as caught:
        consumer.store_offsets(offsets=[TopicPartition("other", 0, 1)])
    assert caught.value.args[0].code() == KafkaError._STATE


def test_a_rebalance_revokes_every_member_before_assigning_any():
    broker = MemoryBroker(partitions=2)
    broker.ensure_topics(["t"])
    first, first_calls = joined(broker)
    first.poll(0)
    assert first_calls == [("assign", [("t", 0), ("t", 1)])]
    second, second_calls = joined(broker)  # joining rebalances the group
    second.poll(0)
    assert second_calls == []  # the first member still holds everything: no assignment yet
    first.poll(0)
    assert first_calls[1:] == [("revoke", [("t", 0), ("t", 1)]), ("assign", [("t", 0)])]
    second.poll(0)
    assert second_calls == [("assign", [("t", 1)])]
    assert [tp.partition for tp in first.assignment()] == [0] and [tp.partition for tp in second.assignment()] == [1]


def test_the_revoke_callback_may_still_store_and_commit_the_partitions_it_gives_up():
    broker = MemoryBroker()
    broker.ensure_topics(["t"])
    broker.publish("t", "v")
    consumer = broker.Consumer(CONFIG)

    def on_revoke(c, partitions):
        c.store_offsets(offsets=[TopicPartition("t", 0, 1)])
        c.commit(asynchronous=False)

    consumer.subscribe(["t"], on_revoke=on_revoke)
    assert consumer.poll(0).offset() == 0
    broker.rebalance("g")
    assert consumer.poll(0) is None  # revoked and assigned again, from the offset committed on revoke
    assert broker.committed("g") == {("t", 0): 1}
    assert [kind for _, kind, _ in broker.rebalances] == ["assign", "revoke", "assign"]


def test_a_paused_partition_stays_paused_across_a_rebalance_that_gives_it_back():
    broker = MemoryBroker()
    broker.ensure_topics(["t"])
    consumer, _ = joined(broker)
    consumer.poll(0)
    consumer.pause([TopicPartition("t", 0)])
    broker.publish("t", "v")
    broker.rebalance("g")
    assert consumer.poll(0) is None  # librdkafka#1849: the loop must resume newly assigned partitions itself
    consumer.resume(consumer.assignment())
    assert consumer.poll(0).value() == b"v"


def test_publish_and_wait_returns_only_once_the_broker_acknowledges():
    broker = MemoryBroker()
    broker.ensure_topics(["out"])
    producer = broker.Producer()
    broker.hold_acks()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (publish_and_wait(producer, "out", b"v", b"k", [("h", b"1")]), done.set()))
    thread.start()
    broker.wait_for(broker.unacknowledged, 2.0, "the record to be produced")
    assert not done.wait(0.2) and broker.messages("out") == []
    broker.release_acks()
    thread.join(2.0)
    assert done.is_set()
    stored, = broker.messages("out")
    assert (stored.offset(), stored.key(), stored.value(), stored.headers()) == (0, b"k", b"v", [("h", b"1")])


def test_a_delivery_that_times_out_or_fails_raises_as_confluent_kafka_would():
    broker = MemoryBroker(max_message_bytes=100)
    broker.ensure_topics(["out"])
    producer = broker.Producer()
    with pytest.raises(RecordTooLarge):
        publish_and_wait(producer, "out", b"x" * 200, None, [])
    broker.reject("out", KafkaError.RECORD_LIST_TOO_LARGE)
    with pytest.raises(RecordTooLarge):
        publish_and_wait(producer, "out", b"v", None, [])
    broker.reject("out", None)
    broker.hold_acks()
    with pytest.raises(KafkaException) as timed_out:
        publish_and_wait(producer, "out", b"v", None, [], timeout=0.05)
    assert timed_out.value.args[0].code() == KafkaError._MSG_TIMED_OUT
    assert len(producer) == 1  # still waiting for its acknowledgement
    broker.release_acks()
    with pytest.raises(KafkaException) as unknown:
        publish_and_wait(producer, "missing", b"v", None, [], timeout=0.5)
    assert unknown.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    assert [m.value() for m in broker.messages("out")] == [b"v"]  # the timed-out one, acknowledged at last


def test_a_closed_consumer_commits_what_is_stored_with_auto_commit_and_refuses_further_calls():
    broker = MemoryBroker()
    broker.ensure_topics(["t"])
    broker.publish("t", "v")
    consumer, calls = joined(broker, **{"enable.auto.commit": "true", "auto.commit.interval.ms": "60000"})
    consumer.poll(0)
    consumer.store_offsets(offsets=[TopicPartition("t", 0, 1)])
    consumer.close()
    assert broker.committed("g") == {("t", 0): 1}
    assert calls[-1] == ("revoke", [("t", 0)])
    with pytest.raises(RuntimeError):
        consumer.poll(0)
