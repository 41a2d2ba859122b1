"""A run's frontier: every task it queued and where each stands, saved as the run goes.

A run killed halfway (``kill -9``, a crash, a reboot) can then be resumed: its pending
tasks are queued again, keyed tasks it saw stay deduplicated, finished phases are not run
again, progress continues from its saved counts. Only the tasks in flight at the crash
run a second time.

The worker loop tells the ``FrontierRecorder`` about every task queued, finished or put
back (cheap list appends); a background loop saves those changes in batches through a
``FrontierSink`` (the store). A task is saved as done only once the items it produced are
stored: each save first flushes the run's item pipeline, so a resumed run never skips a
task whose items were lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import msgspec

from crawlscope.runner.task import Task

__all__ = [
    "FrontierRecorder",
    "FrontierSink",
    "FrontierUpdate",
    "SavedFrontier",
    "TaskState",
]

log = logging.getLogger(__name__)


class TaskState(enum.StrEnum):
    """Where a queued task stands."""

    __hash__ = str.__hash__

    PENDING = "pending"
    """Queued, running, or put back: a resumed run does it (again)."""
    DONE = "done"
    FAILED = "failed"
    """Failed for good (a resumed run leaves it; "retry failed tasks" takes it up)."""


class FrontierUpdate(msgspec.Struct, kw_only=True):
    """What changed since the last save, plus the run's counters at this moment."""

    added: list[tuple[int, str, Task]]
    """``(no, phase, task)`` of every task queued."""
    states: list[tuple[int, TaskState]]
    """``(no, state)`` in the order they happened (a later one wins)."""
    next_no: int
    finished_phases: list[str]
    progress: list[dict[str, Any]]
    items: int = 0
    """Items the run submitted to its dataset so far (its outcome rules read it)."""


class SavedFrontier(msgspec.Struct, kw_only=True):
    """A run's frontier as stored: what a resumed run starts from."""

    pending: list[tuple[int, str, Task]]
    """``(no, phase, task)`` still to do, in the order they were queued."""
    keys: dict[str, list[str]]
    """Per phase, every dedupe key queued so far (a resumed run drops them again)."""
    next_no: int
    finished_phases: list[str]
    progress: list[dict[str, Any]]
    done: int = 0
    failed: int = 0
    items: int = 0


class FrontierSink(Protocol):
    """Where a run's frontier is saved."""

    async def save(self, run_id: str, update: FrontierUpdate) -> None:
        """Store the changes in one transaction (all or nothing)."""


class FrontierRecorder:
    """Collects a run's task changes and saves them every ``interval`` seconds.

    ``before_save`` (the item pipeline's flush) runs first, so the items of every task
    about to be saved as done are stored. A failed save keeps its changes for the next.
    """

    def __init__(
        self,
        sink: FrontierSink,
        run_id: str,
        *,
        next_no: Callable[[], int],
        finished_phases: Callable[[], list[str]],
        progress: Callable[[], list[dict[str, Any]]],
        items: Callable[[], int] = lambda: 0,
        before_save: Callable[[], Awaitable[None]] | None = None,
        interval: float = 0.5,
    ) -> None:
        self.sink = sink
        self.run_id = run_id
        self.interval = interval
        self.saves = 0
        self.failures = 0
        self._next_no = next_no
        self._finished_phases = finished_phases
        self._progress = progress
        self._items = items
        self._before_save = before_save
        self._added: list[tuple[int, str, Task]] = []
        self._states: list[tuple[int, TaskState]] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()

    # -- called by the queues and the workers (never awaits) -------------------------------

    def added(self, no: int, phase: str, task: Task) -> None:
        """A task was queued."""
        self._added.append((no, phase, task))

    def finished(self, no: int, failed: bool) -> None:
        """A task ended for good: done, or failed after its attempts."""
        self._states.append((no, TaskState.FAILED if failed else TaskState.DONE))

    def pending_again(self, no: int) -> None:
        """A task that was counted as failed went back on its queue."""
        self._states.append((no, TaskState.PENDING))

    # -- saving -----------------------------------------------------------------------------

    def start(self) -> None:
        """Save in the background every ``interval`` seconds."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"frontier-{self.run_id}")

    async def close(self) -> None:
        """Stop the background saves and save what is left (retrying until it is stored)."""
        if self._task is not None:
            # Never cancel a save: a transaction cancelled mid-way can leave its
            # connection holding SQLite's write lock until it is garbage collected, and
            # every other writer (the event writer too) waits behind it.
            self._stopping.set()
            await asyncio.shield(self._task)
            self._task = None
        delay = 0.2
        while not await self.save():
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)
            if not self._stopping.is_set():
                await self.save()

    async def save(self) -> bool:
        """Save the changes collected so far; whether that worked (or there was nothing)."""
        async with self._lock:
            added, states = self._added, self._states
            self._added, self._states = [], []
            # Counters taken with the changes: they describe the same moment.
            update = FrontierUpdate(
                added=added,
                states=states,
                next_no=self._next_no(),
                finished_phases=self._finished_phases(),
                progress=self._progress(),
                items=self._items(),
            )
            try:
                if self._before_save is not None:
                    await self._before_save()
                await self.sink.save(self.run_id, update)
            except Exception as exc:
                self.failures += 1
                self._added[:0] = added
                self._states[:0] = states
                log.warning(
                    "saving the frontier of run %s failed (%r); will retry", self.run_id, exc
                )
                return False
            self.saves += 1
            return True
