"""librdkafka properties for every client the apps create.

`KAFKA_BOOTSTRAP_SERVERS` names the brokers; every other `KAFKA_<NAME>` sets the librdkafka
property `<name>` with underscores turned into dots (`KAFKA_SECURITY_PROTOCOL=SASL_SSL` ->
`security.protocol`), read like every setting: a Django setting of that name, else the
environment variable. A Django setting `KAFKA` (a dict of librdkafka property names) is
applied last. Values stay strings: librdkafka parses them and rejects bad ones clearly.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

PREFIX = "KAFKA_"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"  # the declared default of KAFKA_BOOTSTRAP_SERVERS (chesanto_comms/conf.py)


def property_name(variable: str) -> str:
    """`KAFKA_SESSION_TIMEOUT_MS` -> `session.timeout.ms`."""
    return variable[len(PREFIX):].lower().replace("_", ".")


def _passed_through(names_values) -> dict[str, str]:
    return {property_name(name): str(value) for name, value in names_values
            if name.startswith(PREFIX) and len(name) > len(PREFIX) and value is not None}


def kafka_properties(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Properties from environment variables alone: the brokers plus every KAFKA_* override."""
    props = {"bootstrap.servers": DEFAULT_BOOTSTRAP}
    props.update(_passed_through(environ.items()))
    return props


def client_properties() -> dict[str, str]:
    """What every client gets: the environment's properties, then Django settings named
    KAFKA_<NAME> (the brokers: KAFKA_BOOTSTRAP_SERVERS), then the dict settings.KAFKA."""
    from django.conf import settings

    props = kafka_properties()
    if settings.configured:
        props.update(_passed_through((name, getattr(settings, name, None)) for name in dir(settings)
                                      if name.startswith(PREFIX)))
        props.update({key: str(value) for key, value in (getattr(settings, "KAFKA", None) or {}).items()})
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
