"""One task on a worker: the run's scope, with what the task commits captured.

A worker runs a task with the runner's own ``run_task`` (same retries, same events), in a
copy of the run's scope whose queues, progress, dataset pipeline and outcome counters
only *record* what the task did. The record becomes the task's ``TaskResult``, which the
coordinator applies to the real ones, once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

from crawlscope.events import Action, ActivityEvent
from crawlscope.runner.context import RunScope
from crawlscope.runner.control import RunControl
from crawlscope.runner.queues import PhaseQueues, Queued
from crawlscope.runner.task import Task
from crawlscope.workqueue.messages import TaskResult

__all__ = ["CapturedTask"]


class _Queues:
    """Checks targets against the run's phases; keeps the tasks the attempt queues."""

    def __init__(self, phases: PhaseQueues) -> None:
        self._phases = phases
        self.tasks: list[tuple[Task, str | None]] = []

    def check_target(self, target: str, source: str | None) -> None:
        self._phases.check_target(target, source)

    def put(self, task: Task, phase: str | None = None) -> bool:
        self.tasks.append((task, phase))
        return True

    def requeue(self, phase: str, queued: Queued) -> None:
        """Putting back is the coordinator's call (it sees the failure streak)."""


class _Progress:
    def __init__(self) -> None:
        self.changes: list[tuple[str, str, int]] = []

    def add_total(self, level: str, amount: int, phase: str | None = None) -> None:
        self.changes.append(("add_total", level, amount))

    def set_total(self, level: str, total: int, phase: str | None = None) -> None:
        self.changes.append(("set_total", level, total))

    def advance(self, level: str, amount: int = 1) -> None:
        self.changes.append(("advance", level, amount))


class _Items:
    def __init__(self) -> None:
        self.items: list[tuple[str, Any]] = []

    def add(self, worker_id: int, items: list[tuple[str, Any]]) -> None:
        self.items.extend(items)


class _Control:
    """The run's (mirrored) switches; success and failure are only noted."""

    def __init__(self, control: RunControl) -> None:
        self._control = control
        self.failed: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._control, name)

    def task_succeeded(self) -> None:
        self.failed = None

    def task_failed(
        self, phase: str, task: Queued, error: str
    ) -> tuple[bool, list[tuple[str, Queued]]]:
        self.failed = error
        return False, []


class CapturedTask:
    """The scope one task runs in on a worker, and its result afterwards.

    ``emit`` passes the task's events on as they happen, except its one ``complete``,
    which travels in the result (a second result of a reclaimed task is dropped whole).
    """

    def __init__(self, scope: RunScope, emit: Callable[[ActivityEvent], None]) -> None:
        self._queues = _Queues(scope.queues)
        self._progress = _Progress()
        self._items = _Items()
        self._control = _Control(scope.control)
        self._emit = emit
        self.done: ActivityEvent | None = None
        self.scope = dataclasses.replace(
            scope,
            emit=self._capture,
            queues=cast(PhaseQueues, self._queues),
            progress=cast(Any, self._progress),
            pipeline=cast(Any, self._items) if scope.pipeline is not None else None,
            control=cast(RunControl, self._control),
            frontier=None,
        )

    def _capture(self, event: ActivityEvent) -> None:
        if event.action is Action.COMPLETE and self.done is None and event.worker_id:
            self.done = event
        else:
            self._emit(event)

    def result(self, phase: str, entry: str, no: int, worker_id: int) -> TaskResult:
        """What the task did, for its coordinator."""
        failed = self._control.failed
        if failed is not None:
            return TaskResult(phase, entry, no, worker_id, failed=failed, done=self.done)
        return TaskResult(
            phase,
            entry,
            no,
            worker_id,
            done=self.done,
            tasks=self._queues.tasks,
            progress=self._progress.changes,
            items=self._items.items,
        )
