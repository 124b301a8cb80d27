"""Transient failures are retried through a retry topic, so the source partition never waits.

The consumer re-publishes the record to `<OUTBOX_TOPIC_PREFIX>retry.<channel>` with
the attempt number and the earliest time to try again in headers; it reads that
topic in the same group and pauses a retry partition until its head record is due.
Attempt n waits <CHANNEL>_RETRY_DELAY * 2**(n-1) seconds, or longer when the provider asked
for a longer wait (its Retry-After, up to MAX_ASKED_DELAY); after <CHANNEL>_MAX_RETRIES
retries the message is logged FAILED. A record whose row another live process holds goes the same
way without counting an attempt (LATER_DELAY), so an attempt number of 0 is a first delivery deferred.

A retry record is checked before the consumer waits for it: its retry headers must be ours and well
formed, its signature right (with OUTBOX_SIGNING_KEY), and its due time no further ahead than the
schedule's longest wait; otherwise it is poison, dead-lettered at once instead of pausing its partition.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from chesanto_comms.conf import comms
from chesanto_comms.numbers import is_whole_number, whole_number
from consumers.channel_settings import DeliverySettings

ATTEMPT = "x-retry-attempt"
NOT_BEFORE = "x-retry-not-before-ms"
SOURCE = "x-retry-source"  # topic:partition:offset of the original record
LAST_ERROR = "x-retry-reason"
RETRY_HEADERS = (ATTEMPT, NOT_BEFORE, SOURCE, LAST_ERROR)
MAX_ASKED_DELAY = 3600.0  # seconds: the longest Retry-After honoured; a provider asking for more gets this
LATER_DELAY = 5.0  # seconds before a record whose row another process held is read again
CLOCK_SKEW = 60.0  # seconds a due time may lie beyond the longest wait (another consumer's clock)


def retry_topic(channel: str) -> str:
    return f"{comms.OUTBOX_TOPIC_PREFIX}retry.{channel}"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    delay_seconds: float

    @classmethod
    def of(cls, delivery: DeliverySettings) -> "RetryPolicy":
        return cls(delivery.max_retries, delivery.retry_delay)

    def is_final(self, attempt: int) -> bool:
        return attempt >= self.max_retries

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Seconds before retry `attempt`: the schedule's, or what the provider asked if that is longer."""
        scheduled = self.delay_seconds * 2 ** max(attempt - 1, 0)
        return max(scheduled, min(asked or 0.0, MAX_ASKED_DELAY))

    @property
    def longest(self) -> float:
        """The longest wait this schedule ever asks for."""
        return max(self.delay(max(self.max_retries, 1)), MAX_ASKED_DELAY, LATER_DELAY)

    def checked_due(self, headers: dict[str, str], now: float) -> float:
        """When a retry record is due (epoch seconds); PoisonRecord if that lies further ahead than any
        retry of this schedule: a forged or broken header must not pause its partition for longer."""
        from consumers.events import PoisonRecord

        due = due_at(headers)
        if due > now + self.longest + CLOCK_SKEW:
            raise PoisonRecord(f"{NOT_BEFORE}={headers.get(NOT_BEFORE, '')[:40]} is {due - now:.0f}s ahead; no retry "
                               f"waits longer than {self.longest:.0f}s")
        return due


def due_at(headers: dict[str, str]) -> float:
    """Epoch seconds when the record may be tried again (0 if it is not a retry, or says nonsense)."""
    return (whole_number(headers.get(NOT_BEFORE, "0")) or 0) / 1000


def _parsed_source(raw: str) -> tuple[str, int, int] | None:
    topic, _, offset = raw.rpartition(":")
    topic, _, partition = topic.rpartition(":")
    partition_number, offset_number = whole_number(partition), whole_number(offset)
    if not topic or partition_number is None or offset_number is None:
        return None
    return topic, partition_number, offset_number


def source_of(msg, headers: dict[str, str], known_topics: list[str] | None = None) -> tuple[str, int, int]:
    """Where the record was first read: its retry header's position (when it names one of
    `known_topics`, so a forged header cannot send copies to a topic of its choosing), else its
    own position. Never raises."""
    parsed = _parsed_source(headers.get(SOURCE, ""))
    if parsed and (known_topics is None or parsed[0] in known_topics):
        return parsed
    return msg.topic(), msg.partition(), msg.offset()


def check_retry_headers(headers: dict[str, str]) -> int:
    """A record read from a retry topic must carry our retry headers, well formed; return its attempt."""
    from consumers.events import PoisonRecord

    problems = []
    attempt = whole_number(headers.get(ATTEMPT, ""))
    if attempt is None:
        attempt = 0
        problems.append(f"{ATTEMPT}={headers.get(ATTEMPT, '(missing)')[:40]!r} is not a number")
    if not is_whole_number(headers.get(NOT_BEFORE, "")):
        problems.append(f"{NOT_BEFORE}={headers.get(NOT_BEFORE, '(missing)')[:40]!r} is not epoch milliseconds")
    if _parsed_source(headers.get(SOURCE, "")) is None:
        problems.append(f"{SOURCE}={headers.get(SOURCE, '(missing)')[:80]!r} is not topic:partition:offset")
    if problems:
        raise PoisonRecord("bad retry headers: " + "; ".join(problems))
    return attempt


def retry_headers(msg, headers: dict[str, str], attempt: int, delay: float, reason: str,
                  known_topics: list[str] | None = None) -> list[tuple[str, bytes]]:
    topic, partition, offset = source_of(msg, headers, known_topics)
    kept = [(k, v) for k, v in (msg.headers() or []) if k not in RETRY_HEADERS]
    return kept + [
        (ATTEMPT, str(attempt).encode()),
        (NOT_BEFORE, str(int((time.time() + delay) * 1000)).encode()),
        (SOURCE, f"{topic}:{partition}:{offset}".encode()),
        (LAST_ERROR, reason[:500].encode()),
    ]
