"""A batch of events through a logged channel: their rows opened together, the sends run per key,
each row written as soon as its own send returned.

    open      the log rows of every message, inserted or claimed for this process in one transaction
              (consumers/log_rows.py); nothing is sent before it commits; the recipients' preferences and
              suppressions, looked up once for the batch (consumers/consent.py), for the policy steps
    tasks     one per key, a key's messages in order, each through the channel's sequence
              (consumers/delivery.py), on a sender thread of its own (consumers/workers.py) or inline
    settle    a message's result, the moment its send returns (from any thread)
    write     the settled rows, as many as have settled, in one UPDATE; the caller retries it until the
              database takes it: a send is never repeated because a write after it failed
    finished  an event's Delivery, once every one of its messages is written

One event's trouble stays its own: recipients that cannot be found, a row the database refuses, an
unexpected error — the event is dead-lettered (or looked at again), and the others are delivered.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import InterfaceError, OperationalError

from chesanto_comms.logging import log_context
from consumers import consent, template_store
from consumers.claims import ProcessLease, UnregisteredLease, new_token
from consumers.events import InboundEvent
from consumers.log_rows import Opened, finish_rows, open_rows, senders
from consumers.notifications import Notification
from consumers.outcomes import Delivery

if TYPE_CHECKING:  # consumers/delivery.py runs its batches here: no import back at run time
    from consumers.delivery import LoggedChannel, MessageResult

log = logging.getLogger(__name__)

_local: UnregisteredLease | None = None


def local_lease() -> UnregisteredLease:
    """The claims of deliveries made outside a consumer process (eager delivery, tests)."""
    global _local
    if _local is None:
        _local = UnregisteredLease(new_token("local"), "local", lease=0.0, provider_timeout=0.0)
    return _local


@dataclass
class Message:
    event_index: int
    notification: Notification
    recipient: str
    opened: Opened | None = None
    result: MessageResult | None = None
    written: bool = False
    reserved: tuple | None = None  # its key, while this batch has it reserved in the process (consumers/claims.py)


@dataclass
class KeyTask:
    """One key's messages, sent one after another with one channel instance (a provider connection)."""

    batch: "Batch"
    positions: list[int]
    may_start: Callable[[int], bool]  # by event index

    def run(self, channel: LoggedChannel, after_each: Callable[[], None] = lambda: None) -> bool:
        """Send each message and settle it; True if the provider refused the connection as one too many."""
        crowded = False
        for position in self.positions:
            message = self.batch.messages[position]
            event = self.batch.events[message.event_index]
            with log_context(event_id=event.id, trace_id=event.trace_id):
                result = channel.deliver_message(
                    message.opened, event, message.notification, message.recipient,
                    self.batch.final_attempts[message.event_index], lambda: self.may_start(message.event_index),
                    self.batch.facts)
            crowded = crowded or result.crowded
            self.batch.settle(position, result)
            after_each()
        return crowded


@dataclass
class Batch:
    channel: LoggedChannel
    events: list[InboundEvent]
    final_attempts: list[bool]
    lease: ProcessLease
    messages: list[Message] = field(default_factory=list)
    broken: dict[int, Exception] = field(default_factory=dict)  # event index -> why it has no messages
    unlogged: dict[int, Exception] = field(default_factory=dict)  # event index -> a row the database refused
    facts: consent.Facts | None = None  # the recipients' preferences and suppressions, read by `open`

    def __post_init__(self):
        self._settled: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._reported: set[int] = set()
        self._lock = threading.Lock()

    # --- before any send ---------------------------------------------------------------
    def _plan(self) -> None:
        """Each event's messages: its notifications × their recipients. Finding recipients may read the
        database (users, devices): an outage there raises (the caller tries again); anything else is a
        bug or a lookup of this event's own, and fails only it."""
        self.messages, self.broken = [], {}
        for i, event in enumerate(self.events):
            with log_context(event_id=event.id, trace_id=event.trace_id):  # what finding recipients logs names it
                try:
                    planned = [Message(i, notification, recipient)
                               for notification in self.channel.notifications.get(event.type, [])
                               for recipient in notification.recipients(event.data)]
                except (OperationalError, InterfaceError):
                    raise
                except Exception as exc:  # noqa: BLE001 - only this event fails
                    log.exception("the recipients of event %s cannot be found", event.id)
                    self.broken[i] = exc
                    continue
            self.messages.extend(planned)

    def open(self) -> None:
        """Find the messages, reserve every message's key in this process, then open the rows of those
        reserved (rows another thread of this process has are busy here); a database error releases them,
        so the caller may try again. Rows this process does not come to hold are settled by `tasks`."""
        self._plan()
        if not self.messages:
            return
        self.facts = consent.load(self.channel, {m.recipient for m in self.messages})
        template_store.refresh()  # staff's template changes: one query, a reload only when they changed
        model = self.channel.log_model
        keys = [(model._meta.db_table, self.events[m.event_index].id, m.notification.name, m.recipient)
                for m in self.messages]
        mine = []
        for message, key, granted in zip(self.messages, keys, self.lease.reserve(keys)):
            if granted:
                message.reserved = key
                mine.append(message)
        actors = senders({event.actor for event in self.events})
        rows = []
        for message in mine:
            event = self.events[message.event_index]
            rows.append(({"event_id": event.id, "template": message.notification.name,
                          self.channel.recipient_field: message.recipient},
                         {"template_version": message.notification.version, "sent_by_id": actors.get(event.actor),
                          **self.channel.new_log_fields(event, message.notification)}))
        try:
            opened = open_rows(model, rows, self.lease.token, self.lease.may_judge()) if rows else []
        except BaseException:
            self._release(mine)
            raise
        for message, found in zip(mine, opened):
            message.opened = found
        for message in self.messages:
            if message.opened is None:  # another thread of this process has its row
                event = self.events[message.event_index]
                busy = model(event_id=event.id, template=message.notification.name, attempted_by=self.lease.token,
                             **{self.channel.recipient_field: message.recipient})
                message.opened = Opened(busy, held=False)

    def tasks(self, may_start: Callable[[int], bool]) -> list[KeyTask]:
        """The sends, one task per key; rows not held are settled here without one."""
        by_key: dict[str, list[int]] = {}
        for position, message in enumerate(self.messages):
            if message.opened.held:
                by_key.setdefault(self.events[message.event_index].key, []).append(position)
            else:
                event = self.events[message.event_index]
                self.settle(position, self.channel.deliver_message(message.opened, event, message.notification,
                                                                   message.recipient, True, lambda: False, self.facts))
        return [KeyTask(self, positions, may_start) for positions in by_key.values()]

    # --- as sends return ----------------------------------------------------------------
    def settle(self, position: int, result: MessageResult) -> None:
        """Thread-safe: a sender reports a message's result."""
        self.messages[position].result = result
        self._settled.put(position)

    def settled(self, timeout: float | None = None, gather: float = 0.0) -> list[int]:
        """Positions settled since the last call: waits up to `timeout` for the first, then up to `gather`
        seconds more for others, so that sends returning together are written in one UPDATE."""
        try:
            positions = [self._settled.get(timeout=timeout) if timeout else self._settled.get_nowait()]
        except queue.Empty:
            return []
        deadline = time.monotonic() + gather
        while True:
            remaining = deadline - time.monotonic()
            if remaining > 0 and all(message.result is not None for message in self.messages):
                remaining = 0  # every send has returned: nothing more to wait for
            try:
                positions.append(self._settled.get(timeout=remaining) if remaining > 0 else self._settled.get_nowait())
            except queue.Empty:
                return positions

    def write(self, positions: list[int]) -> None:
        """Write the rows of these settled messages (raises what the database raises when it is away).
        A row the database refuses for its data marks its event unlogged; a row another process took over
        meanwhile is left as that process wrote it."""
        held = [p for p in positions if self.messages[p].opened.held and not self.messages[p].written]
        if held:
            refused, lost = finish_rows([self.messages[p].opened.entry for p in held], self.lease.token)
            for i, exc in refused.items():
                self.unlogged.setdefault(self.messages[held[i]].event_index, exc)
            if lost:
                log.warning("%d log rows were taken over by another process before their outcome was written; "
                            "their outcome as that process wrote it stands", lost)
        for p in positions:
            self.messages[p].written = True
        self._release(self.messages[p] for p in positions)

    def write_settled(self) -> None:
        """Write whatever has settled (for a batch run in the writing thread)."""
        if positions := self.settled():
            self.write(positions)

    def _release(self, messages) -> None:
        keys = []
        for message in messages:
            if message.reserved is not None:
                keys.append(message.reserved)
                message.reserved = None
        self.lease.release(keys)

    # --- done ---------------------------------------------------------------------------
    def finished(self) -> list[tuple[int, Delivery]]:
        """The events whose messages are all written, not reported before, with what became of them."""
        by_event: dict[int, list[Message]] = {i: [] for i in range(len(self.events))}
        for message in self.messages:
            by_event[message.event_index].append(message)
        done = []
        with self._lock:
            for i, messages in by_event.items():
                if i in self._reported or not all(m.written for m in messages):
                    continue
                self._reported.add(i)
                done.append((i, self._delivery(i, messages)))
        return done

    @property
    def reported(self) -> set[int]:
        return set(self._reported)

    @property
    def all_written(self) -> bool:
        return all(message.written for message in self.messages)

    def _delivery(self, i: int, messages: list[Message]) -> Delivery:
        results = [m.result for m in messages]
        broken = self.broken.get(i) or next((r.broken for r in results if r.broken is not None), None)
        return Delivery(
            outcomes=tuple(r.outcome for r in results),
            render_errors=tuple(r.render_error for r in results if r.render_error),
            unlogged=self.unlogged.get(i),
            retry_after=max((r.retry_after for r in results if r.retry_after is not None), default=None),
            broken=broken,
        )
