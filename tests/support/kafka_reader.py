"""Reading records back from Kafka with a plain confluent-kafka consumer (no project code)."""
from __future__ import annotations

import uuid

from confluent_kafka import Consumer, TopicPartition

from chesanto_comms.kafka import client_properties, consumer_properties


def read_record(topic: str, partition: int, offset: int, timeout: float = 15.0):
    consumer = Consumer(consumer_properties({
        **client_properties(), "group.id": f"reader-{uuid.uuid4().hex[:8]}", "enable.auto.commit": "false",
    }))
    try:
        consumer.assign([TopicPartition(topic, partition, offset)])
        msg = consumer.poll(timeout)
        if msg is None or msg.error():
            raise AssertionError(f"no record at {topic}[{partition}]@{offset}: {msg and msg.error()}")
        return msg
    finally:
        consumer.close()


def read_topic(topic: str, idle: float = 2.0, timeout: float = 20.0) -> list:
    """Every record of `topic`, from the beginning of each partition, until none arrives for `idle` seconds."""
    import time

    from confluent_kafka import OFFSET_BEGINNING

    consumer = Consumer(consumer_properties({
        **client_properties(), "group.id": f"reader-{uuid.uuid4().hex[:8]}", "enable.auto.commit": "false",
    }))
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        records, last, deadline = [], time.monotonic(), time.monotonic() + timeout
        while time.monotonic() - last < idle and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                records.append(msg)
                last = time.monotonic()
        return records
    finally:
        consumer.close()
