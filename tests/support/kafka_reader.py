"""Reading records back from Kafka with a plain confluent-kafka consumer (no project code)."""
from __future__ import annotations

import uuid

from confluent_kafka import Consumer, TopicPartition
from django.conf import settings

from config.kafka import consumer_properties


def read_record(topic: str, partition: int, offset: int, timeout: float = 15.0):
    consumer = Consumer(consumer_properties({
        **settings.KAFKA, "group.id": f"reader-{uuid.uuid4().hex[:8]}", "enable.auto.commit": "false",
    }))
    try:
        consumer.assign([TopicPartition(topic, partition, offset)])
        msg = consumer.poll(timeout)
        if msg is None or msg.error():
            raise AssertionError(f"no record at {topic}[{partition}]@{offset}: {msg and msg.error()}")
        return msg
    finally:
        consumer.close()
