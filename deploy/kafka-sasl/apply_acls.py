"""Create the ACLs of acls.txt on a broker, as its super user: docker-compose's `sasl` profile runs it
once at start-up, tests/integration/test_kafka_sasl.py before its pipeline starts.

    KAFKA_BOOTSTRAP_SERVERS=… KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT KAFKA_SASL_MECHANISM=SCRAM-SHA-512 \
    KAFKA_SASL_USERNAME=admin KAFKA_SASL_PASSWORD=… python deploy/kafka-sasl/apply_acls.py [--dry-run]

The broker and the admin's credentials come through the KAFKA_<NAME> pass-through, like every
client of the product; OUTBOX_TOPIC_PREFIX and CONSUMER_GROUP_PREFIX as the pipeline has them.
Creating an ACL that exists already changes nothing, so running it again is harmless.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from chesanto_comms.conf import comms
from chesanto_comms.kafka import admin_properties, kafka_properties
from outbox.events import domains

ACLS = Path(__file__).with_name("acls.txt")


def bindings(text: str, topic_prefix: str, group_prefix: str, all_domains: list[str]) -> list[AclBinding]:
    """acls.txt's lines as AclBindings: literal names, ALLOW from any host."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            principal, operation, resource, name = line.split()
            kinds = (AclOperation[operation.upper()], ResourceType[resource.upper()])
        except (ValueError, KeyError):
            raise SystemExit(f"{ACLS}:{number}: expected 'principal operation topic|group name', got {line!r}")
        for domain in all_domains if "{domain}" in name else [None]:
            literal = name.format(topic_prefix=topic_prefix, group_prefix=group_prefix, domain=domain)
            found.append(AclBinding(kinds[1], literal, ResourcePatternType.LITERAL, principal, "*", kinds[0],
                                    AclPermissionType.ALLOW))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the ACLs; create nothing")
    args = parser.parse_args(argv)
    acls = bindings(ACLS.read_text(), comms.OUTBOX_TOPIC_PREFIX, comms.CONSUMER_GROUP_PREFIX, domains())
    for acl in acls:
        print(f"{acl.principal} {acl.operation.name} {acl.restype.name.lower()} {acl.name}")
    if args.dry_run:
        return 0
    admin = AdminClient(admin_properties(kafka_properties()))
    for acl, future in admin.create_acls(acls, request_timeout=30).items():
        future.result()  # raises KafkaException naming what the broker refused (e.g. not a super user)
    print(f"created {len(acls)} ACLs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
