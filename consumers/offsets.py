"""Which offset of a partition may be committed while records finish out of order.

Records of one partition are handed to several workers; the committable position
is one past the highest offset below which every record is done.
"""
from __future__ import annotations

from collections import deque


class PartitionProgress:
    def __init__(self):
        self._pending: deque[int] = deque()  # offsets handed out, in the order read
        self._done: set[int] = set()

    def started(self, offset: int) -> None:
        self._pending.append(offset)

    def finished(self, offset: int) -> int | None:
        """Mark `offset` done; return the new committable position (next offset to read), if it moved."""
        self._done.add(offset)
        position = None
        while self._pending and self._pending[0] in self._done:
            first = self._pending.popleft()
            self._done.discard(first)
            position = first + 1
        return position

    @property
    def in_flight(self) -> int:
        return len(self._pending)
