"""A local SMTP server (aiosmtpd) that records what it accepted.

It can refuse chosen recipients with a given SMTP reply, wait before accepting
(a slow provider), answer a message's DATA with a reply of a test's choosing instead of
accepting it, after a wait (`data_fault`: a provider that hangs past the client's timeout), refuse connections beyond a number open at once (as a provider
that limits concurrent connections does, with a 421 greeting), and save each
message's HTML part to a folder.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from chesanto_comms.embedded.ports import free_port


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes  # the message as received
    received_at: float = field(default_factory=time.time)  # wall clock when accepted (after any delay)

    @cached_property
    def message(self) -> EmailMessage:
        """Parsed when first asked for: parsing every message as it arrives was most of the sink's CPU
        (~2 ms for a 9 KB HTML email), which a benchmark's sink shares with what it measures."""
        return message_from_bytes(self.raw, policy=policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


@dataclass(frozen=True)
class DataFault:
    """What the sink answers a message's DATA with instead of accepting it."""

    reply: str  # e.g. "451 4.3.0 Try again later": the message is not accepted
    after: float = 0.0  # seconds before answering (longer than the client's timeout: it has gone)


class _RecordingHandler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.refuse(address) if self.sink.refuse else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.data_fault is not None and (fault := self.sink.data_fault(list(envelope.rcpt_tos))) is not None:
            await asyncio.sleep(fault.after)
            return fault.reply
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        self.sink.record(ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


TOO_MANY_CONNECTIONS = "421 4.7.0 Error: too many connections from 127.0.0.1"  # Postfix's words


class _LimitedSMTP(SMTP):
    """aiosmtpd's server, greeting with a 421 and closing when the sink has its fill of connections."""

    def __init__(self, handler, sink: "SmtpSink", **kwargs):
        super().__init__(handler, **kwargs)
        self.sink = sink
        self.counted = False

    async def _handle_client(self) -> None:
        self.counted = self.sink._connected()
        if not self.counted:
            self.sink.refused_connections += 1
            await self.push(TOO_MANY_CONNECTIONS)
            self.transport.close()
            return
        await super()._handle_client()

    def connection_lost(self, error) -> None:
        if self.counted:
            self.counted = False
            self.sink._disconnected()
        super().connection_lost(error)


class _SinkController(Controller):
    def __init__(self, sink: "SmtpSink", **kwargs):
        super().__init__(_RecordingHandler(sink), **kwargs)
        self.sink = sink

    def factory(self):
        return _LimitedSMTP(self.handler, self.sink, **self.SMTP_kwargs)


class SmtpSink:
    def __init__(
        self,
        port: int | None = None,
        refuse: Callable[[str], str | None] | None = None,
        delay: float = 0.0,
        save_dir: str | Path | None = None,
        max_connections: int | None = None,
        data_fault: Callable[[list[str]], DataFault | None] | None = None,
    ):
        self.port = port or free_port()
        self.refuse = refuse
        self.delay = delay
        self.save_dir = Path(save_dir) if save_dir else None
        self.max_connections = max_connections  # None: any number
        self.data_fault = data_fault
        self.received: list[ReceivedEmail] = []
        self.open_connections = self.peak_connections = self.refused_connections = 0
        self._changed = threading.Condition()
        self._controller = _SinkController(self, hostname="127.0.0.1", port=self.port)

    def _connected(self) -> bool:
        """Count a new connection in, unless the sink has max_connections open already."""
        with self._changed:
            if self.max_connections is not None and self.open_connections >= self.max_connections:
                return False
            self.open_connections += 1
            self.peak_connections = max(self.peak_connections, self.open_connections)
            return True

    def _disconnected(self) -> None:
        with self._changed:
            self.open_connections -= 1

    def record(self, email: ReceivedEmail) -> None:
        with self._changed:
            self.received.append(email)
            if self.save_dir:
                self._save(len(self.received), email)
            self._changed.notify_all()

    def _save(self, number: int, email: ReceivedEmail) -> None:
        self.save_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{number:03d}-{email.rcpt_tos[0].replace('@', '_at_')}"
        (self.save_dir / f"{stem}.eml").write_bytes(email.message.as_bytes())
        (self.save_dir / f"{stem}.html").write_text(email.body("html"))

    def to(self, address: str) -> list[ReceivedEmail]:
        return [e for e in self.received if address in e.rcpt_tos]

    def wait_for(self, predicate: Callable[[list[ReceivedEmail]], bool], timeout: float = 30.0) -> list[ReceivedEmail]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.received):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"SMTP sink: condition not met after {timeout}s ({len(self.received)} received)")
                self._changed.wait(remaining)
            return list(self.received)

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
