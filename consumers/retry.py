"""Transient failures are retried through a retry topic, so the source partition never waits.

The consumer re-publishes the record to `<OUTBOX_TOPIC_PREFIX>retry.<channel>` with
the attempt number and the earliest time to try again in headers; it reads that
topic in the same group and pauses a retry partition until its head record is due.
Attempt n waits <CHANNEL>_RETRY_DELAY * 2**(n-1) seconds, or longer when the provider asked
for a longer wait (its Retry-After, up to MAX_ASKED_DELAY); after <CHANNEL>_MAX_RETRIES
retries the message is logged FAILED.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from chesanto_comms.conf import comms
from consumers.channel_settings import DeliverySettings

ATTEMPT = "x-retry-attempt"
NOT_BEFORE = "x-retry-not-before-ms"
SOURCE = "x-retry-source"  # topic:partition:offset of the original record
LAST_ERROR = "x-retry-reason"
RETRY_HEADERS = (ATTEMPT, NOT_BEFORE, SOURCE, LAST_ERROR)
MAX_ASKED_DELAY = 3600.0  # seconds: the longest Retry-After honoured; a provider asking for more gets this


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


def attempt_of(headers: dict[str, str]) -> int:
    try:
        return int(headers.get(ATTEMPT, "0"))
    except ValueError:
        return 0


def due_at(headers: dict[str, str]) -> float:
    """Epoch seconds when the record may be tried again (0 if it is not a retry, or says nonsense)."""
    try:
        return int(headers.get(NOT_BEFORE, "0")) / 1000
    except (ValueError, OverflowError):
        return 0.0


def _parsed_source(raw: str) -> tuple[str, int, int] | None:
    topic, _, rest = raw.rpartition(":")
    topic, _, partition = topic.rpartition(":")
    try:
        position = (topic, int(partition), int(rest))
    except ValueError:
        return None
    return position if topic and position[1] >= 0 and position[2] >= 0 else None


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
    try:
        attempt = int(headers.get(ATTEMPT, ""))
        if attempt < 1:
            problems.append(f"{ATTEMPT}={attempt} is below 1")
    except ValueError:
        attempt = 0
        problems.append(f"{ATTEMPT}={headers.get(ATTEMPT, '(missing)')[:40]!r} is not a number")
    if not headers.get(NOT_BEFORE, "").isascii() or not headers.get(NOT_BEFORE, "").isdigit():
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
