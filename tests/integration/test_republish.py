"""`manage.py outbox_republish` against the real pipeline: chosen rows are published again
(a new Kafka position), consumers get duplicates, and each event is still emailed once."""
from __future__ import annotations

import re
from io import StringIO

import pytest
from confluent_kafka import Consumer, TopicPartition
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties, consumer_properties
from consumers.email.models import EmailLog
from outbox import emit
from outbox.events.samples import sample
from outbox.models import OutboxEvent
from tests.support.kafka_reader import read_record
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def approve(address: str):
    return emit("auth.account_approved", {**sample("auth.account_approved"), "email": address})


def republish(*args: str) -> str:
    out = StringIO()
    call_command("outbox_republish", *args, stdout=out)
    return out.getvalue()


def position(event_id) -> tuple[str, int, int]:
    row = OutboxEvent.objects.get(pk=event_id)
    return row.kafka_topic, row.kafka_partition, row.kafka_offset


def live_group_has_passed(topic: str, partition: int, offset: int) -> bool:
    consumer = Consumer(consumer_properties({**client_properties(), "group.id": f"{comms.CONSUMER_GROUP_PREFIX}email",
                                             "enable.auto.commit": "false"}))
    try:
        (committed,) = consumer.committed([TopicPartition(topic, partition)], timeout=10)
        return committed.offset > offset
    finally:
        consumer.close()


def test_republish_is_idempotent_end_to_end(pipeline, smtp_sink, unique_email):
    delivered_address, lost_address, other_address = unique_email("delivered"), unique_email("lost"), unique_email("other")
    delivered, other = approve(delivered_address), approve(other_address)
    with transaction.atomic():  # "published", but the topic lost it: the relay never sees it unpublished
        lost = approve(lost_address)
        OutboxEvent.objects.filter(pk=lost).update(published_at=timezone.now())
    wait_until(lambda: EmailLog.objects.filter(event_id__in=[delivered, other], status=EmailLog.Status.SENT).count() == 2,
               what="the first deliveries")
    old = {delivered: position(delivered), other: position(other)}

    output = republish("--id", str(delivered), "--id", str(lost))

    assert "re-published 2 outbox events" in output
    new = wait_until(lambda: (OutboxEvent.objects.filter(pk__in=[delivered, lost], published_at__isnull=False).count() == 2
                              and {e: position(e) for e in (delivered, lost)}), what="the relay to publish again")
    assert new[delivered] != old[delivered] and new[delivered][2] is not None
    for event_id, (topic, partition, offset) in new.items():  # the same event, at its new position
        assert dict(read_record(topic, partition, offset).headers())["ce_id"] == str(event_id).encode()
    for topic, partition, offset in new.values():  # the live consumer has handled both copies
        wait_until(lambda: live_group_has_passed(topic, partition, offset), what="the live consumer's commit")
    assert len(smtp_sink.to(delivered_address)) == 1  # the duplicate found its SENT row
    assert EmailLog.objects.filter(event_id=delivered).count() == 1
    assert len(smtp_sink.to(lost_address)) == 1  # the lost one arrives, once
    assert EmailLog.objects.get(event_id=lost).status == EmailLog.Status.SENT
    assert position(other) == old[other]  # not chosen, not touched


def test_selectors_and_dry_run(pipeline, unique_email):
    address = unique_email("chosen")
    since = timezone.now()
    first, second = approve(address), approve(address)
    wait_until(lambda: OutboxEvent.objects.filter(pk__in=[first, second], published_at__isnull=False).count() == 2,
               what="both published")
    until = timezone.now()
    before = {e: OutboxEvent.objects.get(pk=e).published_at for e in (first, second)}

    output = republish("--key", address, "--type", "auth.account_approved",
                       "--since", since.isoformat(), "--until", until.isoformat(), "--dry-run")

    assert f"{first} auth.account_approved key={address}" in output and str(second) in output
    assert output.splitlines()[-1] == "2 outbox events would be re-published"
    assert {e: OutboxEvent.objects.get(pk=e).published_at for e in (first, second)} == before  # unchanged
    assert republish("--key", address, "--type", "auth.password_changed", "--dry-run").strip() == \
        "0 outbox events would be re-published"
    with transaction.atomic():  # a row the relay has not published yet is left to it
        pending = approve(address)
        output = republish("--key", address, "--dry-run")
    assert output.splitlines()[-1] == ("2 outbox events would be re-published; "
                                       "1 not published yet (pending or parked) left as they are")
    assert str(pending) not in output


@pytest.mark.parametrize("args, message", [
    ([], "choose rows"),
    (["--dry-run"], "choose rows"),
    (["--id", "nope"], "--id 'nope' is not an event id"),
    (["--id", "00000000-0000-0000-0000-000000000001"], "no outbox event with id 00000000-0000-0000-0000-000000000001"),
    (["--since", "last tuesday"], "--since 'last tuesday' is not an ISO 8601 time"),
    (["--since", "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z"], "is before --since"),
])
def test_bad_arguments_are_command_errors(comms_env, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        republish(*args)
