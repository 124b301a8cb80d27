"""librdkafka properties from the environment.

`KAFKA_BOOTSTRAP_SERVERS` names the brokers; every other `KAFKA_<NAME>` variable
sets the librdkafka property `<name>` with underscores turned into dots
(`KAFKA_SESSION_TIMEOUT_MS=6000` -> `session.timeout.ms`). Values stay strings:
librdkafka parses them itself and rejects bad ones with a clear message.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

PREFIX = "KAFKA_"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def property_name(variable: str) -> str:
    """`KAFKA_SESSION_TIMEOUT_MS` -> `session.timeout.ms`."""
    return variable[len(PREFIX):].lower().replace("_", ".")


def kafka_properties(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Common client properties (bootstrap servers plus every KAFKA_* override)."""
    props = {"bootstrap.servers": DEFAULT_BOOTSTRAP}
    for variable, value in environ.items():
        if variable.startswith(PREFIX) and len(variable) > len(PREFIX):
            props[property_name(variable)] = value
    return props


# Properties only one side understands; the other side would log a warning for each.
_CONSUMER_ONLY = ("group.", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
                  "auto.offset.reset", "enable.auto.", "auto.commit.", "partition.assignment.strategy",
                  "fetch.", "isolation.level", "check.crcs", "queued.")
_PRODUCER_ONLY = ("acks", "request.required.acks", "linger.ms", "queue.buffering.", "enable.idempotence",
                  "batch.", "compression.", "message.timeout.ms", "delivery.timeout.ms", "retries",
                  "transactional.id", "transaction.timeout.ms", "sticky.partitioning.linger.ms", "partitioner")


def _without(props: dict[str, str], prefixes: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in props.items() if not k.startswith(prefixes)}


def producer_properties(props: dict[str, str]) -> dict[str, str]:
    return _without(props, _CONSUMER_ONLY)


def consumer_properties(props: dict[str, str]) -> dict[str, str]:
    return _without(props, _PRODUCER_ONLY)


def admin_properties(props: dict[str, str]) -> dict[str, str]:
    return _without(props, _CONSUMER_ONLY + _PRODUCER_ONLY)
