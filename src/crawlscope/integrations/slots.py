"""Worker ids for work crawlscope does not schedule itself: the lowest free slot."""

from __future__ import annotations

import heapq

__all__ = ["WorkerSlots"]


class WorkerSlots:
    """Hands out worker ids 1, 2, ... : ``take`` returns the lowest id not in use, so N
    things in flight at once use ids 1..N and the dashboard shows N worker cards."""

    def __init__(self) -> None:
        self._free: list[int] = []
        self._next = 1
        self.in_use = 0

    def take(self) -> int:
        """A free worker id (the lowest)."""
        self.in_use += 1
        if self._free:
            return heapq.heappop(self._free)
        worker_id = self._next
        self._next += 1
        return worker_id

    def give_back(self, worker_id: int) -> None:
        """``worker_id`` is free again."""
        self.in_use -= 1
        heapq.heappush(self._free, worker_id)

    @property
    def highest(self) -> int:
        """The highest id handed out so far (0: none)."""
        return self._next - 1
