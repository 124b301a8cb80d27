"""The fault-injection suite: a steady load of email, SMS and inbox events while a controller breaks
things at random moments, then a comparison of what the providers received with what was committed.

    load        transactions of one to three events (a login code by email and SMS, a security alert by
                email, SMS and inbox, a payment receipt by SMS), one in seven rolled back; some recipients
                are refused for good by their provider (an address it rejects, an invalid number)
    faults      the relays' and consumers' PostgreSQL connections terminated; the broker connection cut
                and restored (a TCP proxy); relays and consumers SIGKILLed and restarted; consumers joining
                and leaving the group; providers answering 4xx/5xx, or hanging past the client's timeout
    verdict     every committed message accepted by its provider exactly once (a refused recipient: never),
                nothing for a rolled-back transaction, every log row's status agreeing with what its
                provider got, no row left PENDING. The only duplicates allowed are a SIGKILL's: a consumer
                killed between a provider's acceptance and the row's write, whose row says so, under a
                notification whose rule is to resend. A notification whose rule is to hold may end UNKNOWN
                after such a kill; those are counted apart.

Used by tests/integration/faults/test_fault_suite.py (bounded) and bench/fault_soak.py (long).
"""
from __future__ import annotations

import random
import re
import signal
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from chesanto_comms.embedded.provider_api import Outcome
from chesanto_comms.embedded.sms import AfricasTalkingServer
from chesanto_comms.embedded.smtp import DataFault, SmtpSink
from tests.support.processes import ManagedProcess
from tests.support.tcp_proxy import TcpProxy

REFUSED_DOMAIN = "refused.example"  # the SMTP provider refuses every recipient here for good (550)
INVALID_NUMBER = "+254700000403"  # Africa's Talking answers InvalidPhoneNumber: REJECTED (then SUPPRESSED), never sent
TIMEOUT = 3  # EMAIL_TIMEOUT and SMS_TIMEOUT: a hang outlasts it; the lease is 2 x 3 + 10 = 16 s
CHANNELS = ("email", "sms", "inbox")


def assignments(process: ManagedProcess) -> int:
    """How many times the consumer has been given partitions (an eager group assigns every member anew
    at each rebalance)."""
    return process.log().count(" assigned ")
FAULTS = ("terminate_connections", "cut_broker", "kill_relay", "kill_consumer", "join_or_leave",
          "provider_errors", "provider_hang")


@dataclass(frozen=True)
class Config:
    seconds: float = 60.0  # how long the load runs
    rate: float = 4.0  # transactions per second
    fault_gap: tuple[float, float] = (1.5, 4.0)  # seconds between faults
    relays: int = 2
    consumers: tuple[tuple[str, int], ...] = (("email", 2), ("sms", 2), ("inbox", 1))
    settle: float = 180.0  # seconds allowed, after the load, for every row to become final
    seed: int | None = None


@dataclass(frozen=True)
class Message:
    """One message a committed transaction should produce: its channel and the recipient it is known by."""

    event_id: str
    channel: str
    recipient: str  # the address, the number, or the user id (inbox)
    refused: bool = False  # the provider refuses it for good: it must never be accepted, and its row fails


@dataclass
class Report:
    faults: Counter = field(default_factory=Counter)
    committed: int = 0  # transactions
    rolled_back: int = 0
    events: int = 0
    messages: Counter = field(default_factory=Counter)  # by channel
    duplicates_of_kills: int = 0  # a second copy of a message a SIGKILL interrupted (its rule: resend)
    duplicates: list[str] = field(default_factory=list)  # any other second copy: none allowed
    losses: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    from_rollbacks: list[str] = field(default_factory=list)
    held_unknown: int = 0  # rows a kill left UNKNOWN under a rule to hold (not a loss: for an operator)
    pending: int = 0

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.losses or self.disagreements or self.from_rollbacks or self.pending)

    def lines(self) -> list[str]:
        faults = ", ".join(f"{name} {n}" for name, n in sorted(self.faults.items())) or "none"
        messages = ", ".join(f"{channel} {n}" for channel, n in sorted(self.messages.items()))
        return [
            f"faults: {faults}",
            f"transactions: {self.committed} committed, {self.rolled_back} rolled back; events {self.events}; "
            f"messages {messages}",
            f"duplicates: {len(self.duplicates)} unexplained, {self.duplicates_of_kills} of a SIGKILL between the "
            f"provider's acceptance and the row's write (rule: resend)",
            f"losses: {len(self.losses)}; disagreements: {len(self.disagreements)}; from rolled-back transactions: "
            f"{len(self.from_rollbacks)}; rows left PENDING: {self.pending}; held UNKNOWN after a kill: "
            f"{self.held_unknown}",
            *[f"  duplicate: {d}" for d in self.duplicates[:10]], *[f"  loss: {d}" for d in self.losses[:10]],
            *[f"  disagreement: {d}" for d in self.disagreements[:10]],
            *[f"  from a rollback: {d}" for d in self.from_rollbacks[:10]],
        ]


class Rollback(Exception):
    """Raised inside a transaction of the load to roll it back."""


class FaultSuite:
    def __init__(self, config: Config, env: dict[str, str], broker: TcpProxy, kafka_env: dict[str, str]):
        self.config = config
        self.rng = random.Random(config.seed)
        self.broker = broker
        self.smtp = SmtpSink(refuse=self._smtp_refusal, data_fault=self._smtp_data_fault)
        self.sms = AfricasTalkingServer()
        self.env = {**env, **kafka_env, "KAFKA_BOOTSTRAP_SERVERS": broker.address, "EMAIL_PORT": str(self.smtp.port),
                    "EMAIL_TIMEOUT": str(TIMEOUT), "EMAIL_MAX_RETRIES": "12", "EMAIL_RETRY_DELAY": "1",
                    "SMS_PROVIDER": "africastalking", "SMS_API_URL": self.sms.url, "SMS_API_KEY": self.sms.api_key,
                    "SMS_USERNAME": self.sms.username, "SMS_TIMEOUT": str(TIMEOUT), "SMS_MAX_RETRIES": "12",
                    "SMS_RETRY_DELAY": "1", "INBOX_TIMEOUT": str(TIMEOUT)}
        self.report = Report()
        self.expected: list[Message] = []
        self.rolled_back: list[Message] = []
        self.killed_tokens: set[str] = set()
        self.relays: list[ManagedProcess] = []
        self.consumers: dict[str, list[ManagedProcess]] = defaultdict(list)
        # each channel's members and how many assignments each had when its membership last changed
        self._before_change: dict[str, dict[ManagedProcess, int]] = defaultdict(dict)
        self.retired: list[ManagedProcess] = []  # stopped or killed, kept for their logs
        self._provider_fault: str | None = None  # "errors" or "hang" while a provider fault lasts
        self._stop = threading.Event()
        self.users: list = []

    # --- the providers' faults ---------------------------------------------------------------
    def _smtp_refusal(self, address: str) -> str | None:
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        if self._provider_fault == "errors":
            return "451 4.3.0 Temporary local problem, try again"
        return None

    def _smtp_data_fault(self, recipients: list[str]) -> DataFault | None:
        if self._provider_fault == "hang":
            return DataFault("451 4.4.2 Timeout, message not accepted", after=TIMEOUT + 1)
        return None

    def _sms_fault(self, number: str) -> Outcome | None:
        if self._provider_fault == "errors":
            return Outcome(http_status=503)
        if self._provider_fault == "hang":
            return Outcome(http_status=503, delay=TIMEOUT + 1)  # answers, unaccepted, after the client gave up
        return None

    # --- processes ----------------------------------------------------------------------------
    def _start_relay(self) -> None:
        self.relays.append(ManagedProcess("relay", env=self.env))

    def _start_consumer(self, channel: str) -> None:
        self.consumers[channel].append(ManagedProcess("consume", channel, env=self.env))

    def _retire(self, process: ManagedProcess, sig: int) -> None:
        if sig == signal.SIGKILL and process.args[0] == "consume":
            self.killed_tokens.update(re.findall(r"claims as (\S+)", process.log()))
        process.stop(sig)
        self.retired.append(process)

    def logs(self) -> str:
        return "\n".join(f"--- {' '.join(p.args)} ---\n{p.log()[-4000:]}"
                         for p in [*self.relays, *[c for cs in self.consumers.values() for c in cs], *self.retired])

    # --- the load -------------------------------------------------------------------------------
    def _recipients(self) -> tuple[str, str, bool]:
        """An address, a number and whether the provider refuses them (one message in twenty)."""
        refused = self.rng.random() < 0.05
        address = f"fault-{uuid.uuid4().hex[:12]}@{REFUSED_DOMAIN if refused else 'example.com'}"
        number = INVALID_NUMBER if refused else f"+2547{self.rng.randrange(10**8):08d}"
        return address, number, refused

    def _emit_one(self) -> list[Message]:
        from outbox import emit
        from outbox.events.samples import sample

        address, number, refused = self._recipients()
        kind = self.rng.choice(("otp", "alert", "receipt"))
        if kind == "otp":
            event = emit("auth.otp_requested", {"email": address, "phone": number, "name": "Wairimu", "code": "4821",
                                                "expiry_minutes": 1440})
            return [Message(str(event), "email", address, refused), Message(str(event), "sms", number, refused)]
        if kind == "alert":
            user = self.rng.choice(self.users)
            event = emit("auth.security_alert", {**sample("auth.security_alert"), "email": address, "phone": number,
                                                 "user_id": str(user.pk)})
            return [Message(str(event), "email", address, refused), Message(str(event), "sms", number, refused),
                    Message(str(event), "inbox", str(user.pk))]
        event = emit("sales.payment_received", {**sample("sales.payment_received"), "phone": number,
                                                 "customer_email": address, "receipt_number": f"RCT-{uuid.uuid4().hex[:8]}"})
        return [Message(str(event), "email", address, refused), Message(str(event), "sms", number, refused)]

    def _load(self) -> None:
        try:
            deadline = time.monotonic() + self.config.seconds
            n = 0
            while time.monotonic() < deadline:
                n += 1
                messages: list[Message] = []
                try:
                    with transaction.atomic():
                        for _ in range(self.rng.randint(1, 3)):
                            messages += self._emit_one()
                        if n % 7 == 0:
                            raise Rollback()
                except Rollback:
                    self.rolled_back += messages
                    self.report.rolled_back += 1
                else:
                    self.expected += messages
                    self.report.committed += 1
                time.sleep(self.rng.expovariate(self.config.rate))
        finally:
            connection.close()

    # --- the controller --------------------------------------------------------------------------
    def _fault(self, name: str) -> None:
        rng = self.rng
        if name == "terminate_connections":
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND application_name LIKE %s",
                               [rng.choice(["chesanto-relay%", "chesanto-consume%", "chesanto-%"])])
        elif name == "cut_broker":
            self.broker.cut()
            self._stop.wait(rng.uniform(1, 4))
            self.broker.restore()
        elif name == "kill_relay":
            victim = self.relays.pop(rng.randrange(len(self.relays)))
            self._retire(victim, signal.SIGKILL)
            self._stop.wait(rng.uniform(0, 2))
            self._start_relay()
        elif name == "kill_consumer":
            channel, victim = self._settled_consumer()
            self._changing(channel)
            self.consumers[channel].remove(victim)
            self._retire(victim, signal.SIGKILL)
            self._stop.wait(rng.uniform(0, 2))
            self._start_consumer(channel)
        elif name == "join_or_leave":
            channel, leaving = self._settled_consumer()
            self._changing(channel)
            if len(self.consumers[channel]) > 1 and rng.random() < 0.5:
                self.consumers[channel].remove(leaving)
                self._retire(leaving, signal.SIGTERM)
            else:
                self._start_consumer(channel)
        elif name in ("provider_errors", "provider_hang"):
            self._provider_fault = name.removeprefix("provider_")
            self._stop.wait(rng.uniform(2, 4))
            self._provider_fault = None
        self.report.faults[name] += 1

    def _settled_consumer(self) -> tuple[str, ManagedProcess]:
        """A consumer of a random channel whose group has settled since its last change (waiting for one).

        One membership change at a time per group: Tansu's group coordinator, when a member is SIGKILLed
        or leaves while a rebalance is under way, can leave the others without an assignment for good
        (a soak stranded the SMS group for the rest of its run); Apache Kafka expires such a member after
        session.timeout.ms. The changes still land while records are queued and sends are in flight."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self._stop.is_set():
            channel = self.rng.choice(CHANNELS)
            before = self._before_change[channel]
            if all(assignments(p) > before.get(p, 0) for p in self.consumers[channel]):
                return channel, self.rng.choice(self.consumers[channel])
            self._stop.wait(0.2)
        channel = self.rng.choice(CHANNELS)
        return channel, self.rng.choice(self.consumers[channel])

    def _changing(self, channel: str) -> None:
        """Note each member's assignments before a change to the channel's group."""
        self._before_change[channel] = {p: assignments(p) for p in self.consumers[channel]}

    def _control(self, until: Callable[[], bool]) -> None:
        """Faults at random moments, in a shuffled round of every kind, so a run of a few rounds has each."""
        deck: list[str] = []
        try:
            while not until() and not self._stop.is_set():
                self._stop.wait(self.rng.uniform(*self.config.fault_gap))
                if not deck:
                    deck = self.rng.sample(FAULTS, len(FAULTS))
                if not until():
                    self._fault(deck.pop())
        finally:
            connection.close()

    # --- a run ------------------------------------------------------------------------------------
    def run(self) -> Report:
        User = get_user_model()
        self.users = [User.objects.create_user(f"fault-{uuid.uuid4().hex[:10]}", email=f"u{i}@example.com")
                      for i in range(10)]
        self.sms.fault = self._sms_fault
        with self.smtp, self.sms:
            for _ in range(self.config.relays):
                self._start_relay()
            for channel, n in self.config.consumers:
                for _ in range(n):
                    self._start_consumer(channel)
            try:
                loader = threading.Thread(target=self._load, name="load")
                loader.start()
                controller = threading.Thread(target=self._control, args=(lambda: not loader.is_alive(),),
                                              name="faults")
                controller.start()
                loader.join()
                controller.join()
                self._provider_fault = None
                self.broker.restore()
                self._settle()
                self._compare()
            finally:
                self._stop.set()
                for process in [*self.relays, *[c for cs in self.consumers.values() for c in cs]]:
                    process.stop()
        return self.report

    def _settle(self) -> None:
        """Wait until every committed message has its final row (the leases of killed consumers lapse first)."""
        from consumers.channels import log_models

        deadline = time.monotonic() + self.config.settle
        events = {m.event_id for m in self.expected}
        while time.monotonic() < deadline:
            open_rows = sum(model.objects.filter(event_id__in=events).exclude(status__in=model.FINAL).count()
                            for model in log_models().values())
            rows = sum(model.objects.filter(event_id__in=events).count() for model in log_models().values())
            if open_rows == 0 and rows >= len(self.expected):
                break
            time.sleep(1)
        time.sleep(3)  # a second copy of anything would have reached its provider by now

    # --- the verdict --------------------------------------------------------------------------------
    def _accepted(self) -> dict[str, Counter]:
        """What each provider accepted, by recipient."""
        email = Counter(r.rcpt_tos[0].lower() for r in self.smtp.received)
        sms = Counter()
        for request in self.sms.requests:
            if request.status == 201 and '"statusCode": 101' in request.answer:
                sms.update(self.sms.recipients(request))
        from consumers.inbox.models import InboxItem

        inbox = Counter(f"{e}/{u}" for e, u in InboxItem.objects.filter(
            event_id__in={m.event_id for m in self.expected + self.rolled_back}, feed_seq__isnull=False)
            .values_list("event_id", "user_id"))
        return {"email": email, "sms": sms, "inbox": inbox}

    def _compare(self) -> None:
        from consumers.channels import get_channel

        report, accepted = self.report, self._accepted()
        report.events = len({m.event_id for m in self.expected})
        rows = {}
        for channel in CHANNELS:
            model = get_channel(channel).log_model
            field_name = model.RECIPIENT_FIELD
            for row in model.objects.filter(event_id__in={m.event_id for m in self.expected}):
                rows[(str(row.event_id), channel, str(getattr(row, field_name)))] = row
        for message in self.expected:
            report.messages[message.channel] += 1
            key = f"{message.event_id}/{message.recipient}" if message.channel == "inbox" else message.recipient.lower()
            got = accepted[message.channel][key] if message.recipient != INVALID_NUMBER else 0
            row = rows.get((message.event_id, message.channel, message.recipient))
            what = f"{message.channel} {message.event_id} to {message.recipient}"
            if row is None:
                report.losses.append(f"{what}: no log row")
                continue
            if row.status == "PENDING":
                report.pending += 1
                report.disagreements.append(f"{what}: left PENDING ({row.error_message[:120]})")
            elif row.status == "UNKNOWN":
                report.held_unknown += 1
                if not self._interrupted_by_a_kill(row):
                    report.disagreements.append(f"{what}: UNKNOWN without a kill ({row.error_message[:120]})")
            elif message.refused:
                # The first refusal puts the number on the suppression list: later ones are SUPPRESSED, unsent.
                if got or row.status not in ("FAILED", "REJECTED", "SUPPRESSED"):
                    report.disagreements.append(f"{what}: refused recipient, row {row.status}, provider took {got}")
            elif row.status in ("FAILED", "REJECTED"):
                report.losses.append(f"{what}: row {row.status} ({row.error_message[:120]}), provider took {got}")
            elif got == 0:
                report.losses.append(f"{what}: row {row.status}, but the provider took nothing")
            elif got > 1:
                if self._interrupted_by_a_kill(row):
                    report.duplicates_of_kills += got - 1
                else:
                    report.duplicates.append(f"{what}: the provider took {got} ({row.error_message[:120]})")
        for message in self.rolled_back:
            key = f"{message.event_id}/{message.recipient}" if message.channel == "inbox" else message.recipient.lower()
            if message.recipient != INVALID_NUMBER and accepted[message.channel][key]:
                report.from_rollbacks.append(f"{message.channel} {message.event_id} to {message.recipient}")

    def _interrupted_by_a_kill(self, row) -> bool:
        """The row says an attempt of it was cut short, by a process this suite SIGKILLed."""
        return row.interrupted_by in self.killed_tokens
