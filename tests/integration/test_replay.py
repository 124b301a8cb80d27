"""`manage.py replay` against the real pipeline: only what was never delivered is sent again,
only inside the time range, in a group that never commits; --dry-run, --resend, --from-offsets."""
from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from django.core.management import CommandError, call_command
from django.utils import timezone

from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties, consumer_properties, producer_properties
from consumers.email.models import EmailLog
from consumers.models import DeadLetter
from outbox import emit
from outbox.emitter import sealed_payload
from outbox.events import get_event_type
from outbox.events.samples import sample
from outbox.models import OutboxEvent
from relay.records import ClaimedRow, record_for
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def smtp_backend(settings):
    """The replay runs in this process, where pytest-django swapped in the in-memory email backend."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


SUMMARY = re.compile(r"read (\d+), skipped (\d+), sent (\d+), failed (\d+), poison (\d+)")
TEMPLATE = "auth_account_approved"


def approve(address: str):
    return emit("auth.account_approved", {**sample("auth.account_approved"), "email": address})


def delivered(*event_ids) -> None:
    wait_until(lambda: EmailLog.objects.filter(event_id__in=event_ids, status__in=EmailLog.FINAL).count()
               == len(event_ids), timeout=40, what=f"final log rows for {len(event_ids)} events")


def replay(*args: str) -> str:
    out = StringIO()
    call_command("replay", "--channel", "email", *args, stdout=out)
    return out.getvalue()


def counts(output: str) -> dict[str, int]:
    (line,) = [line for line in output.splitlines() if SUMMARY.match(line)]
    return dict(zip(("read", "skipped", "sent", "failed", "poison"), map(int, SUMMARY.match(line).groups())))


def iso(moment) -> str:
    return moment.isoformat()


def window_pause() -> None:
    """Let record timestamps of one group of events separate from the next (and from the window's edges)."""
    time.sleep(1.2)


def produce(records: list[tuple[str, bytes | None, bytes, list]], partition: int | None = None, linger_ms: int = 0):
    producer = Producer(producer_properties({**client_properties(), "linger.ms": str(linger_ms)}))
    for topic, value, key, headers in records:
        kwargs = {"partition": partition} if partition is not None else {}
        producer.produce(topic, value, key, headers=headers, **kwargs)
    assert producer.flush(15) == 0


def cloudevent(address: str, event_type: str = "auth.account_approved", created_at=None, **data):
    """A record as the relay would publish it, for an event that is not in the outbox."""
    payload = sealed_payload(get_event_type(event_type).parse({**sample(event_type), "email": address, **data}))
    row = ClaimedRow(id=str(uuid.uuid4()), aggregatetype="auth", aggregateid=address, type=event_type,
                     payload=payload, headers={}, created_at=created_at or timezone.now())
    record = record_for(row)
    return row.id, (record.topic, record.value, record.key, record.headers)


def email_topics() -> list[str]:
    from chesanto_comms.topics import topic_for
    from consumers.email.channel import EmailChannel

    return [topic_for(d) for d in EmailChannel().domains()] + [f"{comms.OUTBOX_TOPIC_PREFIX}retry.email"]


def committed(group: str) -> dict[tuple[str, int], int]:
    consumer = Consumer(consumer_properties({**client_properties(), "group.id": group, "enable.auto.commit": "false"}))
    try:
        metadata = consumer.list_topics(timeout=10).topics
        partitions = [TopicPartition(t, p) for t in email_topics() if t in metadata for p in metadata[t].partitions]
        return {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(partitions, timeout=10)}
    finally:
        consumer.close()


def live_group_has_passed(positions: list[tuple[str, int, int]]) -> dict | None:
    offsets = committed(f"{comms.CONSUMER_GROUP_PREFIX}email")
    return offsets if all(offsets.get((t, p), -1) > o for t, p, o in positions) else None


def test_replay_sends_only_what_was_never_delivered_in_the_range(pipeline, smtp_sink, unique_email):
    before = [approve(unique_email("before")) for _ in range(2)]
    delivered(*before)
    window_pause()
    since = timezone.now()
    inside = [approve(unique_email("inside")) for _ in range(4)]
    poison_id = str(uuid.uuid4())
    produce([(f"{comms.OUTBOX_TOPIC_PREFIX}auth", b"not json {", b"poison",
              [("ce_id", poison_id.encode()), ("ce_type", b"auth.account_approved")])])
    delivered(*inside)
    dead = wait_until(lambda: DeadLetter.objects.filter(event_id=poison_id).first(), what="the live dead letter")
    until = timezone.now()
    window_pause()
    after = [approve(unique_email("after")) for _ in range(2)]
    delivered(*after)
    addresses = {e: EmailLog.objects.get(event_id=e).recipient for e in before + inside + after}

    # Losses: two rows gone, one left PENDING by a "crash" mid-send; outside the range as well.
    EmailLog.objects.filter(event_id__in=[inside[0], inside[1], before[0], after[0]]).delete()
    EmailLog.objects.filter(event_id=inside[2]).update(status=EmailLog.Status.PENDING)
    positions = [(r.kafka_topic, r.kafka_partition, r.kafka_offset)
                 for r in OutboxEvent.objects.filter(pk__in=before + inside + after)]
    positions.append((dead.source_topic, dead.partition, dead.offset))
    live_before = wait_until(lambda: live_group_has_passed(positions), what="the live group's commits")

    output = replay("--since", iso(since), "--until", iso(until))

    assert counts(output) == {"read": 5, "skipped": 1, "sent": 3, "failed": 0, "poison": 1}
    assert f"poison {dead.source_topic}[{dead.partition}]@{dead.offset}: PoisonRecord" in output
    for event_id in inside[:3]:
        assert f"sent {event_id} auth.account_approved {TEMPLATE} to {addresses[event_id]}" in output
        assert len(smtp_sink.to(addresses[event_id])) == 2  # the first delivery, and the replay's
        assert EmailLog.objects.get(event_id=event_id).status == EmailLog.Status.SENT
    assert len(smtp_sink.to(addresses[inside[3]])) == 1
    for event_id in before + after:  # outside the range: untouched, even where the log lost its row
        assert len(smtp_sink.to(addresses[event_id])) == 1
    assert not EmailLog.objects.filter(event_id__in=[before[0], after[0]]).exists()
    assert DeadLetter.objects.filter(event_id=poison_id).count() == 1  # reported, not dead-lettered again

    # The live group's positions on the topics the replay read are as they were (its retry
    # topic may move meanwhile: retries left by earlier tests keep arriving), and the
    # replay's group has none.
    retry_topic = f"{comms.OUTBOX_TOPIC_PREFIX}retry.email"
    replayed = lambda offsets: {tp: o for tp, o in offsets.items() if tp[0] != retry_topic}  # noqa: E731
    assert replayed(committed(f"{comms.CONSUMER_GROUP_PREFIX}email")) == replayed(live_before)
    replay_group = re.search(r"in group (\S+)", output).group(1)
    assert replay_group.startswith(f"{comms.CONSUMER_GROUP_PREFIX}email-replay-")
    assert all(offset < 0 for offset in committed(replay_group).values())


def test_records_before_since_in_the_same_batch_are_left_alone(pipeline, smtp_sink, unique_email):
    """Tansu answers offsets_for_times with the start of the batch, so the early record comes back and is
    filtered; Apache Kafka answers with the late record's own offset. Either way only the late one is replayed."""
    early_address, late_address = unique_email("early"), unique_email("late")
    early_id, early = cloudevent(early_address)
    late_id, late = cloudevent(late_address)
    producer = Producer(producer_properties({**client_properties(), "linger.ms": "1500"}))  # one batch for both
    producer.produce(*early[:3], headers=early[3], partition=0)
    time.sleep(0.3)
    since = timezone.now()
    time.sleep(0.3)
    producer.produce(*late[:3], headers=late[3], partition=0)
    assert producer.flush(15) == 0
    delivered(early_id, late_id)
    EmailLog.objects.filter(event_id__in=[early_id, late_id]).delete()

    output = replay("--since", iso(since), "--topic", early[0])

    assert counts(output) == {"read": 1, "skipped": 0, "sent": 1, "failed": 0, "poison": 0}
    assert len(smtp_sink.to(late_address)) == 2 and len(smtp_sink.to(early_address)) == 1
    assert not EmailLog.objects.filter(event_id=early_id).exists()


def test_dry_run_lists_what_would_be_sent_and_changes_nothing(pipeline, smtp_sink, unique_email):
    since = timezone.now()
    lost, kept = approve(unique_email("lost")), approve(unique_email("kept"))
    delivered(lost, kept)
    until = timezone.now()
    address = EmailLog.objects.get(event_id=lost).recipient
    EmailLog.objects.filter(event_id=lost).delete()

    output = replay("--since", iso(since), "--until", iso(until), "--dry-run")

    assert f"would send {lost} auth.account_approved {TEMPLATE} to {address}" in output
    assert output.splitlines()[-1] == "read 2, skipped 1, sent 0, failed 0, poison 0, would send 1"
    assert len(smtp_sink.to(address)) == 1
    assert not EmailLog.objects.filter(event_id=lost).exists()


def test_resend_sends_everything_in_the_range_again_but_not_expired_codes(pipeline, smtp_sink, unique_email):
    since = timezone.now()
    events = [approve(unique_email("again")) for _ in range(2)]
    otp_address = unique_email("otp")
    otp_id, otp = cloudevent(otp_address, "auth.otp_requested", created_at=timezone.now() - timedelta(minutes=11),
                             name="Late", code="135790", expiry_minutes=10)
    produce([otp])
    delivered(*events, otp_id)
    until = timezone.now()
    addresses = [EmailLog.objects.get(event_id=e).recipient for e in events]

    output = replay("--since", iso(since), "--until", iso(until), "--resend")

    assert output.splitlines()[-1] == ("read 3, skipped 1, sent 2, failed 0, poison 0, "
                                       "expired 1 (counted as skipped)")
    for event_id, address in zip(events, addresses):
        assert len(smtp_sink.to(address)) == 2
        (row,) = EmailLog.objects.filter(event_id=event_id)  # the same row, sent again
        assert row.status == EmailLog.Status.SENT and row.error_message.startswith("resent by replay ")
    assert EmailLog.objects.get(event_id=otp_id).status == EmailLog.Status.EXPIRED
    assert smtp_sink.to(otp_address) == []


def test_from_offsets_starts_at_the_given_position(pipeline, smtp_sink, unique_email):
    address = unique_email("offsets")  # one key: one partition, in order
    first, second = approve(address), approve(address)
    delivered(first, second)
    EmailLog.objects.filter(event_id__in=[first, second]).delete()
    row = OutboxEvent.objects.get(pk=second)

    output = replay("--from-offsets", f"{row.kafka_topic}:{row.kafka_partition}:{row.kafka_offset}")

    summary = counts(output)
    assert summary["sent"] == 1 and summary["failed"] == summary["poison"] == 0
    assert f"sent {second} " in output and f"{first}" not in output
    assert EmailLog.objects.filter(event_id=second, status=EmailLog.Status.SENT).exists()
    assert not EmailLog.objects.filter(event_id=first).exists()
    assert len(smtp_sink.to(address)) == 3  # two first deliveries, then the second event again


@pytest.mark.parametrize("args, message", [
    (["--since", "yesterday"], "--since 'yesterday' is not an ISO 8601 time"),
    (["--since", "2026-13-01T00:00:00"], "--since '2026-13-01T00:00:00' is not a valid time"),
    (["--since", "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z"], "is before --since"),
    (["--until", "2026-01-01T00:00:00Z"], "--since <ISO time> or --from-offsets"),
    (["--from-offsets", "{auth}:x:1"], "'{auth}:x:1' is not topic:partition:offset"),
    (["--from-offsets", "{auth}:0:1,{auth}"], "'{auth}' is not topic:partition:offset"),
    (["--from-offsets", "{auth}:99:0"], "has no partition 99"),
    (["--since", "2026-01-01T00:00:00Z", "--topic", "elsewhere"], "elsewhere: not a topic of the email channel"),
    (["--since", "2026-01-01T00:00:00Z", "--topic", "{auth}", "--from-offsets", "{auth}:0:0"], "leave out --topic"),
])
def test_bad_arguments_are_command_errors(pipeline, args, message):
    auth = f"{comms.OUTBOX_TOPIC_PREFIX}auth"
    with pytest.raises(CommandError, match=re.escape(message.replace("{auth}", auth))):
        replay(*[a.replace("{auth}", auth) for a in args])


def test_unknown_channel_is_a_command_error(comms_env):
    with pytest.raises(CommandError, match="unknown channel 'fax'"):
        call_command("replay", "--channel", "fax", "--since", "2026-01-01T00:00:00Z")
