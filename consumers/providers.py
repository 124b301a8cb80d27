"""What every provider call answers: sent (with what the provider said), or an error that says
whether trying again can help. Each channel's providers raise these; the channel sequence
(consumers/delivery.py) turns them into log statuses and the record's verdict."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class TransientError(Exception):
    """The provider may accept the message later (SMTP 4xx, HTTP 429/5xx, a timeout)."""

    def __init__(self, message: str, retry_after: float | None = None, crowded: bool = False):
        super().__init__(message)
        self.retry_after = retry_after  # seconds the provider asked us to wait, when it said
        self.crowded = crowded  # it refused the connection as one too many: fewer are kept (consumers/sender_pool.py)


class PermanentError(Exception):
    """The provider will not accept this message; `status` is the log status to record."""

    def __init__(self, message: str, status: str = "FAILED"):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Sent:
    provider_message_id: str = ""
    cost: Decimal | None = None
    provider: str = ""
