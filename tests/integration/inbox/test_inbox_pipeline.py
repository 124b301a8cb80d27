"""Business events to in-app inbox items, end to end: outbox -> relay -> Kafka -> `consume inbox`
-> the user's feed row (the real processes, PostgreSQL and the broker)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from confluent_kafka import Producer
from django.contrib.auth import get_user_model
from django.db import transaction

from chesanto_comms.kafka import client_properties, producer_properties
from consumers.inbox.models import InboxItem
from outbox import emit
from outbox.events.samples import sample
from outbox.models import OutboxEvent
from tests.integration.inbox.conftest import item_for
from tests.support.events import by_address
from tests.support.kafka_reader import read_record
from tests.support.processes import ROOT
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_event_becomes_exactly_one_item_in_its_users_feed(inbox_pipeline, user_with_address):
    user = user_with_address("wanjiku")
    with transaction.atomic():
        event_id = emit("auth.security_alert", by_address("auth.security_alert", email=user.email.upper()))
    item = item_for(event_id)
    assert (item.user_id, item.status, item.category, item.template) == (
        user.pk, "SENT", "security", "inbox_auth_security_alert")
    assert item.title == "Security alert: New sign-in from an unknown device"
    assert item.feed_seq and item.read_at is None and item.archived_at is None
    assert InboxItem.objects.filter(event_id=event_id).count() == 1


def test_a_redelivered_record_adds_no_item(inbox_pipeline, user_with_address):
    user = user_with_address("grace")
    event_id = emit("reports.report_ready", {**sample("reports.report_ready"), "email": user.email, "user_id": user.pk})
    first = item_for(event_id)
    row = OutboxEvent.objects.get(id=event_id)
    original = read_record(row.kafka_topic, row.kafka_partition, row.kafka_offset)
    producer = Producer(producer_properties(client_properties()))
    for _ in range(2):  # the same record twice more, as a redelivery or a replay would bring it
        producer.produce(original.topic(), original.value(), original.key(), headers=original.headers())
    assert producer.flush(15) == 0

    # Same key (the address), so the same partition: once the sentinel is in, the copies were handled.
    sentinel = emit("reports.report_ready", {**sample("reports.report_ready"), "email": user.email, "user_id": user.pk,
                                             "report_name": "Sentinel"})
    item_for(sentinel)
    assert list(InboxItem.objects.filter(user=user).order_by("feed_seq").values_list("event_id", flat=True)) == [
        event_id, sentinel]
    assert InboxItem.objects.get(event_id=event_id).feed_seq == first.feed_seq
    assert f"inbox_reports_report_ready to {user.pk} already SENT; not sent again" in inbox_pipeline.consumer.log()


def test_an_address_no_user_has_writes_no_item_and_the_log_says_so(inbox_pipeline, user_with_address):
    customer = user_with_address("naivas")
    unknown = "accounts@nobody-here.example"
    lost = emit("sales.invoice_issued", by_address("sales.invoice_issued", invoice_number="INV-NO-USER",
                                                   customer_email=unknown))
    # The sentinel has the same key (the invoice number): same partition, handled after it.
    sentinel = emit("sales.invoice_issued", by_address("sales.invoice_issued", invoice_number="INV-NO-USER",
                                                       customer_email=customer.email))
    assert item_for(sentinel).user_id == customer.pk
    assert not InboxItem.objects.filter(event_id=lost).exists()
    log = inbox_pipeline.consumer.log()
    assert f"inbox: no active user has the address {unknown}; no inbox item for it" in log
    assert f"event={lost}" in log  # the line names its event


def test_an_address_another_user_copied_names_nobody_and_the_id_reaches_its_owner(inbox_pipeline, user_with_address):
    """The security review's case: a user set her address to BOB@…; an alert for bob@… must not reach her."""
    bob = user_with_address("bob")
    alice = user_with_address("alice")
    get_user_model().objects.filter(pk=alice.pk).update(email=bob.email.upper())  # Django checks neither
    guessed = emit("auth.security_alert", by_address("auth.security_alert", email=bob.email))
    # Same key (the address), so the same partition: once this one is in, the first was handled.
    named = emit("auth.security_alert", {**sample("auth.security_alert"), "email": bob.email, "user_id": bob.pk})
    assert item_for(named).user_id == bob.pk
    assert not InboxItem.objects.filter(event_id=guessed).exists()
    assert not InboxItem.objects.filter(user=alice).exists()
    (line,) = [line for line in inbox_pipeline.consumer.log().splitlines() if f"event={guessed}" in line
               and "inbox:" in line]
    assert " WARNING " in line and f"several active users have the address {bob.email}" in line


def test_each_user_on_a_stock_alert_list_gets_one_item(inbox_pipeline, user_with_address):
    stores, mutua = user_with_address("stores"), user_with_address("mutua")
    event_id = emit("inventory.stock_low", by_address("inventory.stock_low",
                                                      recipients=[stores.email, "ghost@example.com", mutua.email]))
    wait_until(lambda: InboxItem.objects.filter(event_id=event_id, status="SENT").count() == 2, timeout=30,
               what="two stock alerts")
    assert sorted(InboxItem.objects.filter(event_id=event_id).values_list("user_id", flat=True)) == sorted(
        [stores.pk, mutua.pk])
    assert inbox_pipeline.consumer.running and inbox_pipeline.relay.running


def test_consume_inbox_refuses_to_start_when_misconfigured(comms_env):
    env = {**os.environ, **comms_env, "INBOX_SSE_HEARTBEAT": "300", "INBOX_SSE_MAX_SECONDS": "60"}
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "consume", "inbox"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "INBOX_SSE_HEARTBEAT=300 must be shorter than INBOX_SSE_MAX_SECONDS=60" in result.stderr
    env = {**os.environ, **comms_env, "INBOX_CONCURRENCY": "0"}
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "consume", "inbox"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "INBOX_CONCURRENCY=0: must be 1 or more" in result.stderr
