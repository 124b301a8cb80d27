"""emit -> outbox_event -> Debezium (WAL) -> Kafka -> `consume email` -> SMTP, with no relay anywhere."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.db import transaction

from consumers.email.models import EmailLog
from consumers.events import parse_time
from outbox import emit
from outbox.models import OutboxEvent
from outbox.tracing import traceparent_context
from tests.integration.debezium.conftest import ALIAS
from tests.integration.relay.conftest import read_topic
from tests.support.partitions import java_partition
from tests.support.processes import ROOT
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", ALIAS])]


class RolledBack(Exception):
    pass


def test_each_committed_emit_is_sent_once_and_a_rolled_back_one_never(cdc, smtp_sink, unique_email):
    addresses = [unique_email("cdc") for _ in range(3)]
    ghost = unique_email("ghost")
    trace = uuid.uuid4().hex
    with traceparent_context(f"00-{trace}-{uuid.uuid4().hex[:16]}-01"), transaction.atomic(using=ALIAS):
        ids = [str(emit("auth.otp_requested", {"email": a, "name": "Wanjikũ Kamau", "code": "482913"},
                        actor="42", using=ALIAS)) for a in addresses]
    with pytest.raises(RolledBack), transaction.atomic(using=ALIAS):
        emit("auth.otp_requested", {"email": ghost, "name": "Never Sent", "code": "1234"}, using=ALIAS)
        raise RolledBack

    logs = wait_until(lambda: (found := list(EmailLog.objects.using(ALIAS).filter(
        event_id__in=ids, status=EmailLog.Status.SENT))) and len(found) == 3 and found, timeout=60,
        what="three SENT email logs")
    assert sorted(log.recipient for log in logs) == sorted(addresses)
    for address in addresses:
        (email,) = smtp_sink.to(address)
        assert "482913" in email.body("plain") and "Wanjikũ Kamau" in email.body("plain")
    assert f"trace={trace}" in cdc["consumer"].log()  # the trace context came through outbox_headers

    topic = f"{cdc['env']['OUTBOX_TOPIC_PREFIX']}auth"
    records = read_topic(topic, set(ids), bootstrap=cdc["env"]["KAFKA_BOOTSTRAP_SERVERS"])
    ours = [r for r in records if r.key in addresses + [ghost]]
    assert sorted(r.ce_id for r in ours) == sorted(ids)  # once each; the rolled-back row never reached Kafka
    created = dict(OutboxEvent.objects.using(ALIAS).filter(id__in=ids).values_list("id", "created_at"))
    for record in ours:
        assert record.partition == java_partition(record.key.encode(), 6)  # where the relay would put it too
        assert parse_time(record.headers["ce_time"].decode()) == created[uuid.UUID(record.ce_id)]
        assert record.headers["ce_type"] == b"auth.otp_requested" and record.headers["ce_subject"] == record.key.encode()
        assert record.headers["ce_time"].endswith(b"Z") and record.headers["content-type"] == b"application/json"
        assert json.loads(record.headers["outbox_headers"])["actor"] == "42"
        assert json.loads(record.value)["code"]["$sealed"]  # the secret still sealed on the wire
        assert "ce_specversion" not in record.headers and "id" not in record.headers
    assert OutboxEvent.objects.using(ALIAS).filter(id__in=ids, published_at__isnull=True).count() == 3

    time.sleep(2)  # nothing else arrives later: no second copy, no ghost
    assert [len(smtp_sink.to(a)) for a in addresses] == [1, 1, 1] and smtp_sink.to(ghost) == []


def test_outbox_status_says_publication_is_not_tracked_and_shows_the_slot(cdc):
    out = manage(cdc["env"], "outbox_status")
    assert "not tracked: OUTBOX_PUBLISHER=debezium" in out
    assert "chesanto_outbox" in out and "active" in out


def test_the_relay_refuses_to_run_beside_debezium(cdc):
    with pytest.raises(AssertionError, match="relay refuses to start: OUTBOX_PUBLISHER=debezium"):
        manage(cdc["env"], "relay")


def test_the_purge_goes_by_age_alone(cdc, unique_email):
    event_id = emit("auth.otp_requested", {"email": unique_email("old"), "name": "Old", "code": "1234"}, using=ALIAS)
    OutboxEvent.objects.using(ALIAS).filter(id=event_id).update(created_at="2020-01-01T00:00:00Z")
    assert "rows (OUTBOX_PUBLISHER=debezium: by age alone)" in manage(cdc["env"], "outbox_purge", "--older-than", "7d")
    assert not OutboxEvent.objects.using(ALIAS).filter(id=event_id).exists()


def manage(env: dict[str, str], *args: str) -> str:
    """`manage.py <args>` in the pipeline's environment; its output, or AssertionError with it."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
