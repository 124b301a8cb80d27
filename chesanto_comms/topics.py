"""Topic names (one per domain) and creating the missing ones.

The name of a domain's topic is OUTBOX_TOPIC_PREFIX + domain ("chesanto.auth"),
unless OUTBOX_TOPIC_MAP names it ("auth=bakery-auth,sales=bakery-sales").
"""
from __future__ import annotations

import logging
from functools import lru_cache

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from config.kafka import admin_properties

log = logging.getLogger(__name__)


class TopicMapError(ValueError):
    """OUTBOX_TOPIC_MAP is malformed."""


def topic_map() -> dict[str, str]:
    return _parse_topic_map(settings.OUTBOX_TOPIC_MAP)


@lru_cache(maxsize=8)
def _parse_topic_map(raw: str) -> dict[str, str]:
    mapping = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        domain, sep, topic = item.partition("=")
        if not sep or not domain.strip() or not topic.strip():
            raise TopicMapError(f"OUTBOX_TOPIC_MAP item {item!r} is not 'domain=topic'")
        mapping[domain.strip()] = topic.strip()
    return mapping


def topic_for(domain: str) -> str:
    return topic_map().get(domain) or f"{settings.OUTBOX_TOPIC_PREFIX}{domain}"


def ensure_topics(topics: list[str], timeout: float = 15.0) -> list[str]:
    """Create the topics that do not exist yet; return the ones created."""
    admin = AdminClient(admin_properties(settings.KAFKA))
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [t for t in topics if t not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [NewTopic(t, settings.OUTBOX_TOPIC_PARTITIONS, settings.OUTBOX_TOPIC_REPLICATION) for t in missing],
        operation_timeout=timeout,
    )
    created = []
    for topic, future in futures.items():
        try:
            future.result(timeout)
            created.append(topic)
            log.info("created topic %s (%d partitions)", topic, settings.OUTBOX_TOPIC_PARTITIONS)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # another process won the race
                raise
    return created
