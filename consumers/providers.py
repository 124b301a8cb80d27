"""What every provider call answers: sent (with what the provider said), or an error that says
whether trying again can help. Each channel's providers raise these; the channel sequence
(consumers/delivery.py) turns them into log statuses and the record's verdict.

A provider's error codes are classified declaratively, each to a `ProviderVerdict` (retry, fail
with a status, or drop the address), built with `transient`, `rejected`, `failed` and
`drop_address`; `verdict.error(detail)` is the exception the provider raises.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from consumers.delivery_log import DeliveryStatus


class TransientError(Exception):
    """The provider may accept the message later (SMTP 4xx, HTTP 429/5xx, a timeout)."""

    def __init__(self, message: str, retry_after: float | None = None, crowded: bool = False):
        super().__init__(message)
        self.retry_after = retry_after  # seconds the provider asked us to wait, when it said
        self.crowded = crowded  # it refused the connection as one too many: fewer are kept (consumers/sender_pool.py)


class PermanentError(Exception):
    """The provider will not accept this message; `status` is the log status to record."""

    def __init__(self, message: str, status: DeliveryStatus = DeliveryStatus.FAILED):
        super().__init__(message)
        self.status = status


class AddressRejected(PermanentError):
    """The provider says the recipient's address will never work again (a push token): the channel forgets it."""


@dataclass(frozen=True)
class Sent:
    provider_message_id: str = ""
    cost: Decimal | None = None
    provider: str = ""


class Action(Enum):
    RETRY = "retry"  # TransientError: once the provider (or our set-up) recovers, a retry delivers
    FAIL = "fail"  # PermanentError with the verdict's status; never retried
    DROP_ADDRESS = "drop_address"  # AddressRejected: never retried, and the address is forgotten


@dataclass(frozen=True)
class ProviderVerdict:
    """How to treat one provider status or error code, in every channel."""

    action: Action
    status: DeliveryStatus  # the log status when not retried
    meaning: str
    crowded: bool = False  # a retry because the provider refused one connection too many

    @property
    def retry(self) -> bool:
        return self.action is Action.RETRY

    def error(self, detail: str, retry_after: float | None = None) -> TransientError | PermanentError:
        if self.action is Action.RETRY:
            return TransientError(detail, retry_after=retry_after, crowded=self.crowded)
        if self.action is Action.DROP_ADDRESS:
            return AddressRejected(detail, status=self.status)
        return PermanentError(detail, status=self.status)


def transient(meaning: str, crowded: bool = False) -> ProviderVerdict:
    """Try again later: the provider is busy, or the fault is ours to fix (credentials, balance)."""
    return ProviderVerdict(Action.RETRY, DeliveryStatus.FAILED, meaning, crowded)


def rejected(meaning: str) -> ProviderVerdict:
    """The recipient cannot get this message (bad number, opted out): never retried."""
    return ProviderVerdict(Action.FAIL, DeliveryStatus.REJECTED, meaning)


def failed(meaning: str, status: DeliveryStatus = DeliveryStatus.FAILED) -> ProviderVerdict:
    """Retrying cannot change it: never retried."""
    return ProviderVerdict(Action.FAIL, status, meaning)


def drop_address(status: DeliveryStatus, meaning: str) -> ProviderVerdict:
    """The address will never work again: never retried, and forgotten."""
    return ProviderVerdict(Action.DROP_ADDRESS, status, meaning)


def http_verdict(status_code: int, busy: str = "provider busy or failing") -> ProviderVerdict:
    """For an HTTP error the provider did not explain further: 429 and 5xx are transient."""
    if status_code == 429 or status_code >= 500:
        return transient(busy)
    return failed("request refused")
