"""Pause, resume, cancel and the consecutive-failure rule for one run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from crawlscope.runner.queues import Queued

__all__ = ["RunControl"]

PauseHook = Callable[[str | None, bool, int], None]


class RunControl:
    """The run's switches, shared by its workers.

    Workers call ``wait_running`` before taking a task and before every request attempt,
    so a pause takes effect at the next request; requests already in flight finish.

    It also counts finished tasks as the run's outcome sees them (``tasks_done``,
    ``tasks_failed``): a failed task put back on its queue by a pause is neither.
    """

    def __init__(self, max_consecutive_failures: int) -> None:
        self.max_consecutive_failures = max_consecutive_failures
        self.paused = False
        self.cancelled = False
        self.pause_reason: str | None = None
        self.cancel_reason: str | None = None
        self.tasks_done = 0
        self.tasks_failed = 0
        self.cancel_requested = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._streak: list[tuple[str, Queued]] = []
        self.on_pause: PauseHook | None = None
        self.on_resume: Callable[[], None] | None = None
        self.on_cancel: Callable[[], None] | None = None

    async def wait_running(self) -> None:
        """Return at once unless the run is paused; then wait for resume.

        A cancelled run does not release this gate: its worker tasks are cancelled while
        they wait here.
        """
        if not self.paused:
            return
        await self._running.wait()

    def pause(self, reason: str | None = None, *, auto: bool = False, requeued: int = 0) -> bool:
        """Pause the run; False if it is already paused or cancelled."""
        if self.paused or self.cancelled:
            return False
        self.paused = True
        self.pause_reason = reason
        self._running.clear()
        if self.on_pause is not None:
            self.on_pause(reason, auto, requeued)
        return True

    def resume(self) -> bool:
        """Resume a paused run; False if it is not paused."""
        if not self.paused or self.cancelled:
            return False
        self.paused = False
        self.pause_reason = None
        self._streak.clear()
        if self.on_resume is not None:
            self.on_resume()
        self._running.set()
        return True

    def cancel(self, reason: str | None = None) -> bool:
        """Cancel the run (``reason`` becomes its finish reason); False if already cancelled."""
        if self.cancelled:
            return False
        self.cancelled = True
        self.cancel_reason = reason
        if self.on_cancel is not None:
            self.on_cancel()
        self.cancel_requested.set()
        # Paused workers are deliberately not woken: the run cancels every worker task as
        # soon as it sees ``cancel_requested``, and a woken worker could first take a new
        # task or send a request, which would then be recorded as cancelled work.
        return True

    # -- the consecutive-failure rule ----------------------------------------------------

    def task_succeeded(self) -> None:
        """A task succeeded: the failure streak is over and its tasks stay failed."""
        self.tasks_done += 1
        self._streak.clear()

    def task_failed(
        self, phase: str, task: Queued, error: str
    ) -> tuple[bool, list[tuple[str, Queued]]]:
        """Count a failed task: ``(put this task back?, earlier tasks to put back)``.

        When ``max_consecutive_failures`` tasks in a row fail, the run pauses with the
        reason recorded and the tasks of that streak go back on their queues, so ``resume``
        retries them instead of losing them. A task that fails while the run is paused
        (it was in flight) goes back too.
        """
        if self.max_consecutive_failures <= 0 or self.cancelled:
            self.tasks_failed += 1
            return False, []
        if self.paused:
            return True, []
        self._streak.append((phase, task))
        if len(self._streak) < self.max_consecutive_failures:
            self.tasks_failed += 1
            return False, []
        earlier = self._streak[:-1]
        self._streak.clear()
        self.tasks_failed -= len(earlier)
        reason = f"{len(earlier) + 1} consecutive task failures (last: {error})"
        self.pause(reason, auto=True, requeued=len(earlier))
        return True, earlier

    def reset_streak(self) -> None:
        """Forget the streak (a new phase starts; old tasks cannot be put back)."""
        self._streak.clear()

    def forget_phase(self, phase: str) -> None:
        """``phase`` ended: its tasks in the streak stay failed (its queue is closed), and
        the streak goes on with the tasks of phases still running alongside."""
        self._streak = [entry for entry in self._streak if entry[0] != phase]
