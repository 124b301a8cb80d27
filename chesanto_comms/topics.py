"""Topic names (one per domain) and creating the missing ones.

The name of a domain's topic is OUTBOX_TOPIC_PREFIX + domain ("chesanto.auth"),
unless OUTBOX_TOPIC_MAP names it ("auth=bakery-auth,sales=bakery-sales").
"""
from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from chesanto_comms.conf import TopicMapError, comms
from chesanto_comms.kafka import admin_properties, client_properties

log = logging.getLogger(__name__)


__all__ = ["TopicMapError", "ensure_topics", "topic_for"]


def topic_for(domain: str) -> str:
    return comms.OUTBOX_TOPIC_MAP.get(domain) or f"{comms.OUTBOX_TOPIC_PREFIX}{domain}"


def ensure_topics(topics: list[str], timeout: float = 15.0) -> list[str]:
    """Create the topics that do not exist yet; return the ones created."""
    admin = AdminClient(admin_properties(client_properties()))
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [t for t in topics if t not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [NewTopic(t, comms.OUTBOX_TOPIC_PARTITIONS, comms.OUTBOX_TOPIC_REPLICATION) for t in missing],
        operation_timeout=timeout,
    )
    created = []
    for topic, future in futures.items():
        try:
            future.result(timeout)
            created.append(topic)
            log.info("created topic %s (%d partitions)", topic, comms.OUTBOX_TOPIC_PARTITIONS)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # another process won the race
                raise
    _wait_until_visible(admin, missing, timeout)
    return created


def _wait_until_visible(admin: AdminClient, topics: list[str], timeout: float) -> None:
    """Until every partition of `topics` has a leader in the metadata the broker answers with.

    Apache Kafka acknowledges CreateTopics before every broker's metadata has the topic. A consumer
    that subscribes in that moment is told "unknown topic" and, by librdkafka's default, looks again
    only after topic.metadata.refresh.interval.ms (5 minutes): its retry topic would go unread."""
    deadline = time.monotonic() + timeout
    while True:
        listed = admin.list_topics(timeout=timeout).topics
        waiting = [t for t in topics if t not in listed or listed[t].error is not None
                   or not listed[t].partitions or any(p.leader < 0 for p in listed[t].partitions.values())]
        if not waiting:
            return
        if time.monotonic() > deadline:
            log.warning("topics created but not yet in the broker's metadata after %.0fs: %s", timeout,
                        ", ".join(waiting))
            return
        time.sleep(0.1)
