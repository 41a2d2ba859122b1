"""Running a run's phases: one after another, or alongside the one before (``overlap``).

Phases are grouped into *stages*: a phase starts a new stage unless it overlaps, in which
case it joins the stage of the phase before. Stages run in order; the phases of a stage
run together, each with its own queue and workers (numbered on from the phase before, so
every worker of the run has its own id). A phase ends when every phase before it in its
stage (the phases that can feed it) has ended, its queue is drained and no task of it is
in progress. For a stage of one phase that is the old rule: drained, nothing in progress.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from crawlscope.events import Action
from crawlscope.runner.collection import Phase
from crawlscope.runner.context import RunScope
from crawlscope.runner.worker import worker_loop

__all__ = ["PhaseRunner", "stages_of"]

log = logging.getLogger(__name__)


def stages_of(phases: Sequence[Phase]) -> list[list[Phase]]:
    """The phases grouped into stages: an overlapping phase joins the stage before."""
    stages: list[list[Phase]] = []
    for phase in phases:
        if phase.overlap and stages:
            stages[-1].append(phase)
        else:
            stages.append([phase])
    return stages


class PhaseRunner:
    """Starts and ends the phases of one run; ``emit`` and ``emit_progress`` are the run's.

    ``current`` is the earliest phase still running (what run-wide events are labelled
    with); ``on_phase`` is told when it changes.
    """

    def __init__(
        self,
        scope: RunScope,
        emit: Callable[..., None],
        emit_progress: Callable[[], None],
        on_phase: Callable[[str], None],
    ) -> None:
        self.scope = scope
        self._emit = emit
        self._emit_progress = emit_progress
        self._on_phase = on_phase
        self._workers: dict[str, list[asyncio.Task[None]]] = {}
        self._running: list[str] = []

    async def run(self, phases: Sequence[Phase]) -> None:
        """Run every phase not finished yet, stage by stage, until done or cancelled."""
        queues = self.scope.queues
        for stage in stages_of(phases):
            if self.scope.control.cancelled:
                return
            # Phases finished before the run was interrupted are not run again; a phase
            # whose feeders all finished then runs until its queue is drained.
            todo = [phase for phase in stage if phase.name not in queues.finished]
            if todo:
                await self._run_stage(todo)

    async def _run_stage(self, phases: list[Phase]) -> None:
        self.scope.control.reset_streak()
        ended: list[asyncio.Event] = []
        enders: list[asyncio.Task[None]] = []
        first_worker = 1
        for phase in phases:
            self._start(phase, first_worker)
            first_worker += phase.workers
            done = asyncio.Event()
            enders.append(asyncio.create_task(self._end(phase, list(ended), done)))
            ended.append(done)
        try:
            finished, _ = await asyncio.wait(enders, return_when=asyncio.FIRST_EXCEPTION)
            for ender in finished:
                ender.result()  # an exception ending a phase ends the run
        finally:
            for ender in enders:
                ender.cancel()
            await asyncio.gather(*enders, return_exceptions=True)

    def _start(self, phase: Phase, first_worker: int) -> None:
        scope = self.scope
        name = phase.name
        self._running.append(name)
        if len(self._running) == 1:
            self._set_current(name)
        queue = scope.queues.queues[name]
        extra: dict[str, Any] = {"workers": phase.workers, "tasks": queue.qsize()}
        if first_worker != 1:
            extra["first_worker"] = first_worker
        if phase.overlap:
            extra["overlap"] = True
        self._emit(Action.PHASE_STARTED, phase=name, extra=extra)
        if scope.work_queue is not None:
            # Worker processes elsewhere run the tasks; here one task sends them out.
            self._workers[name] = [
                asyncio.create_task(
                    scope.work_queue.serve(phase), name=f"run-{scope.run_id}-{name}-dispatch"
                )
            ]
            return
        self._workers[name] = [
            asyncio.create_task(
                worker_loop(scope, phase, worker_id), name=f"run-{scope.run_id}-w{worker_id}"
            )
            for worker_id in range(first_worker, first_worker + phase.workers)
        ]

    async def _end(self, phase: Phase, feeders: list[asyncio.Event], done: asyncio.Event) -> None:
        """Wait for ``phase``'s end (or a cancel), stop its workers, say it ended."""
        scope = self.scope
        control = scope.control
        queue = scope.queues.queues[phase.name]
        try:
            for feeder in feeders:
                await _unless_cancelled(feeder.wait(), control.cancel_requested)
            # A task put back on the queue (the failure streak) right as it drained is
            # still there: wait for it too.
            while not control.cancelled:
                await _unless_cancelled(queue.join(), control.cancel_requested)
                if queue.empty():
                    break
        finally:
            await self.stop(phase.name)
        if control.cancelled:
            return
        name = phase.name
        scope.queues.finished.add(name)
        scope.progress.phase_ended(name)
        control.forget_phase(name)
        self._running.remove(name)
        if self._running:
            self._set_current(self._running[0])
        # The phase is said to be completed before the progress it closes is reported, so
        # a level never shows finished ahead of the phases that feed it.
        self._emit(Action.PHASE_COMPLETED, phase=name)
        self._emit_progress()
        done.set()

    def _set_current(self, name: str) -> None:
        self.scope.queues.current = name
        if self.scope.pipeline is not None:
            self.scope.pipeline.set_phase(name)
        self._on_phase(name)

    async def stop(self, phase: str | None = None) -> None:
        """Cancel the workers of ``phase`` (of every phase if None) and wait for them."""
        names = [phase] if phase is not None else list(self._workers)
        workers = [w for name in names for w in self._workers.pop(name, [])]
        for worker in workers:
            worker.cancel()
        results = await asyncio.gather(*workers, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.error("worker of run %s crashed: %r", self.scope.run_id, result)


async def _unless_cancelled(wait: Any, cancel: asyncio.Event) -> None:
    """Await ``wait`` (a coroutine) unless ``cancel`` is set first."""
    waiting = asyncio.ensure_future(wait)
    cancelled = asyncio.ensure_future(cancel.wait())
    try:
        await asyncio.wait({waiting, cancelled}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
        cancelled.cancel()
