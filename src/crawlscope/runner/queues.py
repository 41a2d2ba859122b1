"""One task queue per phase; idle workers of the running phase pull from it."""

from __future__ import annotations

import asyncio

from crawlscope.runner.task import Task

__all__ = ["PhaseQueues"]


class PhaseQueues:
    """Queues for every phase of a run, with per-phase dedupe of keyed tasks.

    Inside one process a single shared queue per phase is the simplest form of work
    stealing: whichever worker is free takes the next task, so no worker sits idle while
    another has a backlog. Tasks for a later phase wait in its queue until it starts.
    """

    def __init__(self, phases: list[str]) -> None:
        self.order = list(phases)
        self.queues: dict[str, asyncio.Queue[Task]] = {name: asyncio.Queue() for name in phases}
        self._seen: dict[str, set[str]] = {name: set() for name in phases}
        self.finished: set[str] = set()
        self.current: str | None = None

    def put(self, task: Task, phase: str | None = None) -> bool:
        """Queue ``task`` in ``phase`` (or ``task.phase``, or the current/first phase).

        Returns False if a task with the same key was queued in that phase before.
        """
        target = phase or task.phase or self.current or self.order[0]
        queue = self.queues.get(target)
        if queue is None:
            raise ValueError(f"unknown phase {target!r}; phases are {self.order}")
        if target in self.finished:
            raise ValueError(
                f"phase {target!r} has finished; tasks can only go to the current or a later phase"
            )
        if task.key is not None:
            seen = self._seen[target]
            if task.key in seen:
                return False
            seen.add(task.key)
        queue.put_nowait(task)
        return True

    def requeue(self, phase: str, task: Task) -> None:
        """Put a failed task back, bypassing dedupe (it was seen: it is this task)."""
        if phase in self.finished:
            return
        self.queues[phase].put_nowait(task)

    def size(self, phase: str) -> int:
        """Tasks waiting in ``phase``."""
        return self.queues[phase].qsize()

    def pending_total(self) -> int:
        """Tasks waiting in every phase that has not finished."""
        return sum(q.qsize() for name, q in self.queues.items() if name not in self.finished)
