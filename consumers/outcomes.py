"""The outcome of delivering one record, decided in one place.

Each message of the record ends in a `MessageOutcome`; `Delivery.verdict` turns them into the one
`Verdict` the consume loop acts on (store the offset, re-publish to the retry topic, dead-letter).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class MessageOutcome(Enum):
    SENT = "sent"  # the provider took it
    ALREADY_FINAL = "already_final"  # an earlier delivery of the record finished it: not sent again
    WITHHELD = "withheld"  # a policy step stopped it (expired, …): final, not sent
    FAILED = "failed"  # the provider refused it for good (or transiently, on the last attempt)
    RETRY = "retry"  # the provider refused it for now: try the record again later
    RENDER_FAILED = "render_failed"  # its template cannot be rendered for this event
    HELD = "held"  # its last attempt was interrupted and its rule says hold: UNKNOWN, for an operator
    BUSY = "busy"  # another live process holds its row (consumers/claims.py): look again later
    NOT_STARTED = "not_started"  # its row was claimed but not sent (fenced, database away): look again later
    BROKEN = "broken"  # an unexpected error before its provider call (a bug): its row is released


class Verdict(Enum):
    """What the consume loop does with the record."""

    DONE = "done"  # every message is final: the offset may be stored
    RETRY = "retry"  # re-publish to the channel's retry topic, then the offset may be stored
    LATER = "later"  # re-publish to the retry topic without counting an attempt (a row was busy)
    DEAD_LETTER = "dead_letter"  # it can never be delivered: copy it to the dead-letter topic
    ABANDONED = "abandoned"  # shutting down while the database is away: redelivered next time


class RenderFailed(Exception):
    """A record's messages could not be rendered: the error a dead-lettered record carries."""


@dataclass(frozen=True)
class Delivery:
    """What a channel did with one event."""

    outcomes: tuple[MessageOutcome, ...] = ()
    render_errors: tuple[str, ...] = ()
    unlogged: Exception | None = None  # the database refused a log row's data (a DataError): it stays PENDING
    retry_after: float | None = None  # the longest wait a provider asked for (Retry-After), with RETRY
    broken: Exception | None = None  # the unexpected error of a BROKEN message

    @property
    def verdict(self) -> Verdict:
        if (self.unlogged is not None or self.broken is not None
                or MessageOutcome.RENDER_FAILED in self.outcomes or MessageOutcome.BROKEN in self.outcomes):
            return Verdict.DEAD_LETTER  # the other messages were still delivered; re-publishing retries only these
        if MessageOutcome.RETRY in self.outcomes:
            return Verdict.RETRY
        if MessageOutcome.BUSY in self.outcomes or MessageOutcome.NOT_STARTED in self.outcomes:
            return Verdict.LATER
        return Verdict.DONE

    @property
    def error(self) -> Exception | None:
        if self.unlogged is not None:
            return self.unlogged
        if self.broken is not None:
            return self.broken
        return RenderFailed("; ".join(self.render_errors)) if self.render_errors else None
