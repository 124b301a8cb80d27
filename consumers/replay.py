"""Replay: re-read a channel's topics over a time range and deliver what was never delivered.

A replay reads with its own, unique group id and `assign()`, so it joins no group and
the live consumers are never rebalanced; it never commits (enable.auto.commit=false),
so it leaves no position behind in any group. Each partition starts at
`offsets_for_times(since)` (or at an offset the operator gives) and ends where it
ended when the replay started. The channel's idempotent log decides: a message whose
row is final is skipped (unless `resend`), every other one is delivered now, as a
final attempt (a transient error makes it FAILED: a replay schedules no retries). The policy
applies as on delivery: a message inside its recipient's quiet hours is HELD (and a HELD row
is left to the consumers' releaser, like a final one), counted as skipped.
Poison records are counted and reported, not dead-lettered: the live consumer did that.

Broker quirks handled here (the embedded Tansu broker answers both look-ups per batch):
- `offsets_for_times` may answer the first offset of the batch holding the first
  record at `since` (earlier records included), or 0 for a time past the end: every
  record is filtered by its own timestamp.
- the high watermark may be the last batch's first offset + 1, and a fetch past the
  real end gets no answer at all: so start offsets are clamped to the high watermark,
  and a partition ends where reading finds it ends: at the end of the log
  (PARTITION_EOF), or at its first record newer than `until` — which is at most the
  moment the replay started, so the command finishes while new records arrive.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Consumer, KafkaError, KafkaException, TopicPartition
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chesanto_comms.conf import comms
from chesanto_comms.kafka import client_properties, consumer_properties
from chesanto_comms.numbers import is_whole_number
from chesanto_comms.startup import services_summary
from chesanto_comms.topics import topic_for
from consumers import consent, log_rows, retry, template_store
from consumers.channels import UnknownChannel, get_channel
from consumers.claims import ProcessLease
from consumers.delivery import LoggedChannel
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent, event_from_message
from consumers.notifications import Notification
from consumers.policy import withheld

log = logging.getLogger(__name__)

REPLAY_CONSUMER = {
    "enable.auto.commit": "false",  # a replay never commits: it leaves no position in any group
    "enable.auto.offset.store": "false",
    "enable.partition.eof": "true",  # tells us where each partition ends, even an empty one
    "auto.offset.reset": "earliest",  # records deleted by retention meanwhile: go on from the oldest kept
}
FETCH_BATCH = 200  # records per consume() call
POLL_TIMEOUT = 0.5  # seconds per consume() call
IDLE_TIMEOUT = 30.0  # seconds with neither a record nor a partition end before giving up
LOOKUP_TIMEOUT = 15.0  # seconds for metadata, watermark and time look-ups
# what a message delivered now may end as without counting as failed
DELIVERED_OK = (DeliveryStatus.SENT, DeliveryStatus.EXPIRED)
EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)


class ReplayError(Exception):
    """A replay the operator asked for that cannot run as asked; the message says why."""


# --- the request -------------------------------------------------------------
def parse_moment(value: str, option: str) -> datetime:
    """An ISO 8601 time; one without an offset is in TIME_ZONE."""
    try:
        moment = parse_datetime(value.strip())
    except ValueError as exc:  # well-formed but impossible, e.g. month 13
        raise ReplayError(f"{option} {value!r} is not a valid time: {exc}") from None
    if moment is None:
        raise ReplayError(f"{option} {value!r} is not an ISO 8601 time (e.g. 2026-03-01T08:00:00+03:00)")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def parse_offsets(spec: str) -> list[tuple[str, int, int]]:
    """`topic:partition:offset,…` (Kafka topic names cannot contain ':')."""
    positions = []
    for part in filter(None, (item.strip() for item in spec.split(","))):
        topic, partition, offset = part.rsplit(":", 2) if part.count(":") >= 2 else ("", "", "")
        if not topic or not is_whole_number(partition) or not is_whole_number(offset):
            raise ReplayError(f"--from-offsets: {part!r} is not topic:partition:offset "
                              "(partition and offset are whole numbers, 0 or more)")
        positions.append((topic, int(partition), int(offset)))
    if not positions:
        raise ReplayError(f"--from-offsets {spec!r} names no position; write topic:partition:offset,…")
    return positions


@dataclass(frozen=True)
class ReplayRequest:
    channel: str
    since: datetime | None = None
    until: datetime | None = None
    topics: tuple[str, ...] = ()  # restricts the channel's topics; empty = its domain topics
    from_offsets: tuple[tuple[str, int, int], ...] = ()
    dry_run: bool = False
    resend: bool = False

    def __post_init__(self):
        if self.since is None and not self.from_offsets:
            raise ReplayError("say where to start: --since <ISO time> or --from-offsets topic:partition:offset,…")
        if self.since and self.until and self.until < self.since:
            raise ReplayError(f"--until {self.until.isoformat()} is before --since {self.since.isoformat()}")
        if self.topics and self.from_offsets:
            raise ReplayError("--from-offsets names its own topics; leave out --topic")


# --- the outcome -------------------------------------------------------------
@dataclass
class Summary:
    """Counts of records: read = skipped + sent + failed + poison (+ would_send in a dry run)."""

    read: int = 0  # records in the time range
    skipped: int = 0  # nothing to send: already final, not for this channel, a second copy, or expired
    sent: int = 0
    failed: int = 0  # some message of the record ended FAILED/REJECTED (render errors included)
    poison: int = 0
    expired: int = 0  # among `skipped`: due, but past its expiry (logged EXPIRED, not sent)
    held: int = 0  # among `skipped`: inside its recipient's quiet hours (HELD: the consumers' releaser sends it)
    would_send: int = 0  # dry run
    outside: int = 0  # records fetched but outside the time range (not in `read`)
    dry_run: bool = False

    def line(self) -> str:
        text = f"read {self.read}, skipped {self.skipped}, sent {self.sent}, failed {self.failed}, poison {self.poison}"
        if self.dry_run:
            text += f", would send {self.would_send}"
        if self.expired:
            text += f", expired {self.expired} (counted as skipped)"
        if self.held:
            text += f", held for quiet hours {self.held} (counted as skipped)"
        return text


@dataclass
class PartitionRange:
    topic: str
    partition: int
    start: int  # where fetching starts
    end: int  # the high watermark when the replay started (the progress total; ends untimed records)
    first: int  # the first offset handled (above `start` when an asked-for offset lay past `end`)

    @property
    def name(self) -> str:
        return f"{self.topic}[{self.partition}]"


class Reporter:
    """What a replay tells its operator; every hook is a no-op here."""

    def started(self, replay: "Replay", ranges: list[PartitionRange]) -> None: ...
    def fetched(self, summary: Summary) -> None: ...
    def say(self, line: str) -> None: ...
    def finished(self, summary: Summary) -> None: ...


# --- the replay --------------------------------------------------------------
class Replay:
    def __init__(self, request: ReplayRequest, reporter: Reporter | None = None):
        self.request = request
        self.reporter = reporter or Reporter()
        self.started_at = timezone.now()
        self.group_id = (f"{comms.CONSUMER_GROUP_PREFIX}{request.channel}-replay-"
                         f"{self.started_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
        self.until = min(request.until or self.started_at, self.started_at)  # nothing newer than the replay
        self.summary = Summary(dry_run=request.dry_run)
        self.note = f"resent by replay {self.started_at.isoformat(timespec='seconds')}"
        self._seen: set[uuid.UUID] = set()
        try:
            self.channel = get_channel(request.channel)
        except UnknownChannel as exc:
            raise ReplayError(str(exc)) from None
        if not isinstance(self.channel, LoggedChannel):
            raise ReplayError(f"channel {request.channel!r} keeps no delivery log to replay against")

    def run(self) -> Summary:
        consumer = Consumer(consumer_properties({**client_properties(), **REPLAY_CONSUMER, "group.id": self.group_id}))
        # A replay claims the rows it sends as a consumer does (consumers/claims.py): never one a live consumer holds.
        self.lease = ProcessLease.for_role(f"replay:{self.request.channel}", self.channel.delivery.timeout)
        if not self.request.dry_run:
            self.lease.start()
        try:
            ranges = self._plan(consumer)
            log.info("replay of the %s channel started: %s; %d partitions of %s; group %s (never committed)%s",
                     self.request.channel, services_summary(), len(ranges),
                     ", ".join(sorted({r.topic for r in ranges})) or "no topic", self.group_id,
                     " (dry run)" if self.request.dry_run else "")
            self.reporter.started(self, ranges)
            self._read(consumer, ranges)
        finally:
            consumer.close()  # nothing is committed, and no group was joined
            self.channel.close()
            if not self.request.dry_run:
                self.lease.stop()
        self.reporter.finished(self.summary)
        return self.summary

    # --- where to read ------------------------------------------------------
    def domain_topics(self) -> list[str]:
        """What a replay reads unless told otherwise: the channel's domain topics."""
        return [topic_for(domain) for domain in self.channel.domains()]

    def _plan(self, consumer: Consumer) -> list[PartitionRange]:
        known = self.domain_topics() + [retry.retry_topic(self.request.channel)]  # the retry topic when asked for
        asked = list(self.request.topics) or [topic for topic, _, _ in self.request.from_offsets]
        foreign = sorted(set(asked) - set(known))
        if foreign:
            raise ReplayError(f"{', '.join(foreign)}: not a topic of the {self.request.channel} channel "
                              f"(its topics: {', '.join(known)})")
        metadata = consumer.list_topics(timeout=LOOKUP_TIMEOUT).topics

        def partitions(topic: str) -> list[int]:
            if topic not in metadata or metadata[topic].error is not None:
                if topic in asked:
                    raise ReplayError(f"topic {topic} does not exist on the broker")
                return []  # a domain nothing was ever published to
            return sorted(metadata[topic].partitions)

        if self.request.from_offsets:
            starts = {}
            for topic, partition, offset in self.request.from_offsets:
                if partition not in partitions(topic):
                    raise ReplayError(f"--from-offsets: {topic} has no partition {partition} "
                                      f"(it has partitions 0 to {len(partitions(topic)) - 1})")
                starts[(topic, partition)] = offset
        else:
            wanted = [TopicPartition(topic, p, _ms(self.request.since)) for topic in (asked or self.domain_topics())
                      for p in partitions(topic)]
            found = consumer.offsets_for_times(wanted, timeout=LOOKUP_TIMEOUT) if wanted else []
            starts = {(tp.topic, tp.partition): tp.offset for tp in found}
        ranges = []
        for (topic, partition), asked_offset in sorted(starts.items()):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), LOOKUP_TIMEOUT, False)
            first = high if asked_offset < 0 else max(asked_offset, low)  # -1: no record that recent
            ranges.append(PartitionRange(topic, partition, min(first, high), high, first))
        return ranges

    # --- reading ------------------------------------------------------------
    def _read(self, consumer: Consumer, ranges: list[PartitionRange]) -> None:
        open_ranges = {(r.topic, r.partition): r for r in ranges}
        if not open_ranges:
            return
        consumer.assign([TopicPartition(r.topic, r.partition, r.start) for r in ranges])
        since_ms = _ms(self.request.since) if self.request.since else None
        until_ms = _ms(self.until, ceil=False)
        last_activity = time.monotonic()
        while open_ranges:
            messages = consumer.consume(FETCH_BATCH, POLL_TIMEOUT)
            if not messages and time.monotonic() - last_activity > IDLE_TIMEOUT:
                raise ReplayError(f"nothing read for {IDLE_TIMEOUT:.0f}s from "
                                  f"{', '.join(r.name for r in open_ranges.values())}; is the broker up?")
            for msg in messages:
                last_activity = time.monotonic()
                if msg.error():
                    self._on_error(consumer, open_ranges, msg)
                    continue
                part = open_ranges.get((msg.topic(), msg.partition()))
                if part is None:
                    continue  # its range is done; fetched before the pause took effect
                ms = _timestamp_ms(msg)
                newer = ms > until_ms if ms is not None else msg.offset() >= part.end  # no timestamp: the watermark
                if newer:
                    self._close(consumer, open_ranges, part)  # past the range: the partition is done
                    continue
                if msg.offset() < part.first or (ms is not None and since_ms is not None and ms < since_ms):
                    self.summary.outside += 1  # before the range (a coarse time look-up answers early)
                else:
                    self.handle(msg)
                self.reporter.fetched(self.summary)

    def _on_error(self, consumer: Consumer, open_ranges: dict, msg) -> None:
        error = msg.error()
        if error.code() == KafkaError._PARTITION_EOF:
            if (part := open_ranges.get((msg.topic(), msg.partition()))) is not None:
                self._close(consumer, open_ranges, part)
        elif error.fatal():
            raise KafkaException(error)
        else:
            log.warning("kafka: %s", error)

    @staticmethod
    def _close(consumer: Consumer, open_ranges: dict, part: PartitionRange) -> None:
        consumer.pause([TopicPartition(part.topic, part.partition)])
        del open_ranges[(part.topic, part.partition)]

    # --- one record ---------------------------------------------------------
    def handle(self, msg) -> None:
        self.summary.read += 1
        try:
            event = event_from_message(msg)
        except Exception as exc:  # noqa: BLE001 - a record that cannot be read is counted, never fatal
            self.summary.poison += 1
            self.reporter.say(f"poison {msg.topic()}[{msg.partition()}]@{msg.offset()}: {type(exc).__name__}: {exc}")
            return
        if event.id in self._seen or not self.channel.handles(event.type):
            self.summary.skipped += 1  # a second copy of an event (retry, re-publish), or not for this channel
            return
        self._seen.add(event.id)
        planned = self.channel.planned(event)
        todo = planned if self.request.resend else [p for p in planned if p[2] in (None, DeliveryStatus.PENDING)]
        if not todo:
            self.summary.skipped += 1
        elif self.request.dry_run:
            self._preview(event, todo)
        else:
            self._deliver(event, todo)

    def _preview(self, event: InboundEvent, todo: list[tuple[Notification, str, str | None]]) -> None:
        expired = 0
        facts = consent.load(self.channel, {recipient for _, recipient, _ in todo})
        template_store.refresh()  # a notification switched off would end SKIPPED, as a batch finds it
        for notification, recipient, status in todo:
            stop = withheld(event, notification, recipient, timezone.now(), facts)  # the policy decides, as on delivery
            if stop is None:
                verb = "would send"
            else:
                verb = "would expire" if stop.status == DeliveryStatus.EXPIRED else f"would end {stop.status}"
            expired += stop is not None
            self.reporter.say(f"{verb} {self._describe(event, notification, recipient)}{f' (now {status})' if status else ''}")
        if expired == len(todo):
            self.summary.skipped += 1
            self.summary.expired += 1
        else:
            self.summary.would_send += 1

    def _deliver(self, event: InboundEvent, todo: list[tuple[Notification, str, str | None]]) -> None:
        reopened = [(n, r) for n, r, status in todo if status not in (None, DeliveryStatus.PENDING)]
        for notification, recipient in reopened:  # --resend: the same row goes back to PENDING
            log_rows.reopen(self._row(event, notification, recipient), self.note)
        delivery, = self.channel.deliver_many([event], [True], lease=self.lease)
        if delivery.error:  # its rows are RENDER_FAILED; not dead-lettered here
            log.warning("event %s: %s", event.id, delivery.error)
        for notification, recipient in reopened:  # the send rewrote error_message: note the resend again
            log_rows.note_reopened(self._row(event, notification, recipient), self.note)
        after = {(n.name, r): status for n, r, status in self.channel.planned(event)}
        outcomes = [after.get((n.name, r)) for n, r, _ in todo]
        for (notification, recipient, _), status in zip(todo, outcomes):
            self.reporter.say(f"{(status or 'no log row').lower()} {self._describe(event, notification, recipient)}")
        if any(status not in (*DELIVERED_OK, DeliveryStatus.HELD) for status in outcomes):
            self.summary.failed += 1
        elif DeliveryStatus.SENT in outcomes:
            self.summary.sent += 1
        elif DeliveryStatus.HELD in outcomes:  # goes when the window ends, with the same row
            self.summary.skipped += 1
            self.summary.held += 1
        else:
            self.summary.skipped += 1
            self.summary.expired += 1

    def _describe(self, event: InboundEvent, notification: Notification, recipient: str) -> str:
        return f"{event.id} {event.type} {notification.name} to {self.channel.logged_recipient(recipient)}"

    def _row(self, event: InboundEvent, notification: Notification, recipient: str):
        return self.channel.log_model.objects.filter(
            event_id=event.id, template=notification.name, **{self.channel.recipient_field: recipient})


def _ms(moment: datetime, ceil: bool = True) -> int:
    """Epoch milliseconds; rounded up for a lower bound, down for an upper one."""
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return -(-micros // 1000) if ceil else micros // 1000


def _timestamp_ms(msg) -> int | None:
    kind, ms = msg.timestamp()
    return None if kind == TIMESTAMP_NOT_AVAILABLE or ms < 0 else ms
