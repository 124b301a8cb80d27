"""Capped exponential backoff with jitter (tenacity's strategy) for long-running loops."""
from __future__ import annotations

from types import SimpleNamespace

from tenacity import wait_exponential_jitter


class Backoff:
    def __init__(self, initial: float = 0.2, maximum: float = 10.0):
        self._wait = wait_exponential_jitter(multiplier=initial, max=maximum)
        self.failures = 0

    def next_delay(self) -> float:
        """Count a failure and return how long to wait before trying again."""
        self.failures += 1
        return self._wait(SimpleNamespace(attempt_number=self.failures))

    def reset(self) -> None:
        self.failures = 0
