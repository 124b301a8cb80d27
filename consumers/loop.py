"""The consume loop shared by every channel.

Offsets are stored only after the channel's log rows are final; librdkafka's
auto-commit then commits stored offsets, and we commit synchronously on
partition revoke and before close. A record is therefore redelivered after a
crash, and the idempotent log turns the redelivery into a no-op.
"""
from __future__ import annotations

import logging
import threading

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from config.backoff import Backoff
from config.kafka import consumer_properties
from config.topics import ensure_topics, topic_for
from consumers.channels import Channel
from consumers.events import PoisonRecord, event_from_message
from outbox.errors import OutboxError
from outbox.secrets import SecretKeyError

log = logging.getLogger(__name__)

CONSUMER_DEFAULTS = {
    "enable.auto.commit": "true",
    "enable.auto.offset.store": "false",  # we store an offset only once its record is fully handled
    "auto.commit.interval.ms": "1000",
    "auto.offset.reset": "earliest",
}
POLL_TIMEOUT = 0.25  # seconds; short, so SIGTERM is noticed quickly


def group_id_for(channel: Channel) -> str:
    return f"{settings.CONSUMER_GROUP_PREFIX}{channel.name}"


class ChannelConsumer:
    def __init__(self, channel: Channel, group_id: str | None = None):
        self.channel = channel
        self.group_id = group_id or group_id_for(channel)
        self.topics = [topic_for(domain) for domain in channel.domains()]
        self.stopping = threading.Event()
        self.handled = 0
        self._backoff = Backoff()

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self) -> None:
        ensure_topics(self.topics)
        consumer = Consumer(consumer_properties({**CONSUMER_DEFAULTS, **settings.KAFKA, "group.id": self.group_id}))
        consumer.subscribe(self.topics, on_revoke=self._commit_on_revoke)
        log.info("%s consumer in group %s reading %s", self.channel.name, self.group_id, ", ".join(self.topics))
        try:
            while not self.stopping.is_set():
                msg = consumer.poll(POLL_TIMEOUT)
                if msg is None:
                    continue
                if msg.error():
                    self._on_kafka_error(msg.error())
                    continue
                if self.handle(msg):
                    consumer.store_offsets(message=msg)  # the log rows are final: the record may be committed
                else:
                    consumer.seek(TopicPartition(msg.topic(), msg.partition(), msg.offset()))  # read it again
        finally:
            self._commit(consumer)
            consumer.close()
            self.channel.close()
            log.info("%s consumer stopped after %d records", self.channel.name, self.handled)

    def handle(self, msg) -> bool:
        """Handle one record; False means 'not done, read it again' (the database is unavailable)."""
        close_old_connections()
        try:
            event = event_from_message(msg)
        except (PoisonRecord, OutboxError, SecretKeyError) as exc:
            log.error("skipping record %s[%d]@%d: %s", msg.topic(), msg.partition(), msg.offset(), exc)
            return True
        if not self.channel.handles(event.type):
            return True
        try:
            self.channel.deliver(event)
        except DatabaseError as exc:
            delay = self._backoff.next_delay()
            log.warning("database unavailable (%s); retrying event %s in %.1fs", exc, event.id, delay)
            self.stopping.wait(delay)
            return False
        self._backoff.reset()
        self.handled += 1
        return True

    def _commit_on_revoke(self, consumer: Consumer, partitions) -> None:
        self._commit(consumer)

    @staticmethod
    def _commit(consumer: Consumer) -> None:
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:
                log.warning("offset commit failed: %s", exc)

    @staticmethod
    def _on_kafka_error(error: KafkaError) -> None:
        if error.fatal():
            raise KafkaException(error)
        log.warning("kafka: %s", error)

