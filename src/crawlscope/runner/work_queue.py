"""Where a run's tasks are worked on when not by its own worker coroutines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from crawlscope.runner.collection import Phase
    from crawlscope.runner.context import RunScope

__all__ = ["WorkQueue"]


class WorkQueue(Protocol):
    """Sends a run's tasks to workers elsewhere and applies what they did.

    The run keeps its queues (dedupe, numbering, the frontier) and decides when a phase
    ends, as with local workers: ``serve`` takes the phase's queued tasks and sends them
    out; each task's result is applied to the run's scope and marks the task done on its
    queue (``task_done``), exactly once. ``crawlscope.workqueue.RedisWorkQueue`` is the
    implementation (Redis Streams consumer groups, ``crawlscope worker`` processes).
    """

    @property
    def outstanding(self) -> int:
        """Tasks sent out whose result has not come back."""

    async def open(self, scope: RunScope) -> None:
        """Make the run's tasks available to workers; start applying their results."""

    async def serve(self, phase: Phase) -> None:
        """Send ``phase``'s queued tasks to the workers until cancelled."""

    def open_breaker(self, site: str, seconds: float) -> bool:
        """Open ``site``'s circuit breaker for every worker, for ``seconds``."""

    def limit_site(self, site: str, concurrency: int) -> bool:
        """At most ``concurrency`` requests to ``site`` at once, across every worker."""

    def command(self, command: str) -> None:
        """Tell every worker: ``pause``, ``resume`` or ``cancel``."""

    async def close(self) -> None:
        """The run ended: apply what is still on its way, withdraw its tasks."""
