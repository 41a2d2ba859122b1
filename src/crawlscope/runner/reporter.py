"""What the runner needs from the outside world, as protocols.

The runner depends on nothing above it: in one process a ``crawlscope.monitor.Monitor``
plays every role; a runner in another process uses ``crawlscope.client`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from crawlscope.events import ActivityEvent
from crawlscope.status import ControlCommand, ControlOutcome

__all__ = ["ControlSource", "ItemSink", "Reporter", "WriteResult"]


class Reporter(Protocol):
    """Receives the run's events."""

    def emit(self, event: ActivityEvent) -> None:
        """Take one event; must not block."""

    async def open_run(
        self, run_id: str, collection: str, params: dict[str, Any], dataset: str | None
    ) -> None:
        """Prepare for a run's events (create its record, continue its seq numbering)."""

    async def flush(self) -> None:
        """Return once every event emitted so far is stored or delivered."""

    def congested(self) -> bool:
        """True while the reporter cannot keep up (too many events wait to be stored or
        sent): workers call ``wait_ready`` before their next task. Reporters without
        these two methods are never considered congested."""

    async def wait_ready(self) -> None:
        """Return once the reporter can take events again."""


class ControlSource(Protocol):
    """Pause/resume/cancel requests made from outside the process."""

    async def pending(self, run_id: str) -> Sequence[tuple[int, ControlCommand]]:
        """Unhandled ``(command_id, command)`` pairs for the run."""

    async def acknowledge(self, command_id: int, outcome: ControlOutcome) -> None:
        """Record what the runner did with a command."""


class WriteResult(Protocol):
    """Keys of one dataset write, by what happened to them.

    A sink that can refuse items for good (a server's dataset) adds ``rejected``, a
    mapping of key to reason; the pipeline reports those as ``error`` events.
    """

    @property
    def inserted(self) -> Sequence[str]:
        """Keys that were new."""

    @property
    def updated(self) -> Sequence[str]:
        """Keys whose content changed."""

    @property
    def unchanged(self) -> Sequence[str]:
        """Keys already stored with the same content."""


class ItemSink(Protocol):
    """Where a run's items go."""

    dataset: str

    async def write(self, run_id: str, items: Sequence[tuple[str, Any]]) -> WriteResult:
        """Insert or update ``(key, item)`` pairs with distinct keys."""

    async def count(self) -> int:
        """How many items the dataset holds."""
