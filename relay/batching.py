"""A claim limit that adapts: small at low load (the first rows go out at once), large under a backlog."""
from __future__ import annotations


class AdaptiveBatch:
    """Doubles while claims come back full (a backlog), halves while they come back a quarter full or less."""

    def __init__(self, smallest: int, largest: int):
        if not 1 <= smallest <= largest:
            raise ValueError(f"batch sizes must satisfy 1 <= smallest ({smallest}) <= largest ({largest})")
        self.smallest, self.largest = smallest, largest
        self.size = smallest

    def record(self, claimed: int) -> None:
        if claimed >= self.size:
            self.size = min(self.largest, self.size * 2)
        elif claimed <= self.size // 4:
            self.size = max(self.smallest, self.size // 2)
