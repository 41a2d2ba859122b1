"""One task queue per phase; idle workers of the running phase pull from it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from crawlscope.runner.task import Task

__all__ = ["PhaseQueues", "Queued"]

Queued = tuple[int, Task]
"""A task in a queue with its number in the run (1, 2, ...; the frontier's key)."""


class PhaseQueues:
    """Queues for every phase of a run, with per-phase dedupe of keyed tasks.

    Inside one process a single shared queue per phase is the simplest form of work
    stealing: whichever worker is free takes the next task, so no worker sits idle while
    another has a backlog. Tasks for a later phase wait in its queue until it starts.
    """

    def __init__(self, phases: list[str]) -> None:
        self.order = list(phases)
        self._index = {name: i for i, name in enumerate(phases)}
        self.queues: dict[str, asyncio.Queue[Queued]] = {name: asyncio.Queue() for name in phases}
        self._seen: dict[str, set[str]] = {name: set() for name in phases}
        self.finished: set[str] = set()
        self.current: str | None = None
        self.next_no = 1
        self.on_added: Callable[[int, str, Task], None] | None = None
        """Told about every task queued (the frontier recorder)."""

    def restore(
        self,
        pending: Iterable[tuple[int, str, Task]],
        keys: dict[str, list[str]],
        next_no: int,
        finished: Iterable[str],
    ) -> None:
        """Take up a saved frontier: its pending tasks with their numbers, the keys it saw
        (still deduplicated), its finished phases; numbering goes on after ``next_no``."""
        self.finished.update(finished)
        for phase, seen in keys.items():
            if phase in self._seen:
                self._seen[phase].update(seen)
        for no, phase, task in pending:
            if phase in self.queues and phase not in self.finished:
                self.queues[phase].put_nowait((no, task))
        self.next_no = max(self.next_no, next_no)

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
        no = self.next_no
        self.next_no = no + 1
        queue.put_nowait((no, task))
        if self.on_added is not None:
            self.on_added(no, target, task)
        return True

    def check_target(self, target: str, source: str | None) -> None:
        """Raise ``ValueError`` unless a task of phase ``source`` may queue work in
        ``target``: a phase that has not finished, and not one before ``source`` (an
        earlier phase, even one still running alongside, may already be deciding it is
        done)."""
        index = self._index.get(target)
        if (
            index is None
            or target in self.finished
            or (source is not None and index < self._index.get(source, 0))
        ):
            still = [
                p
                for p in self.order[self._index.get(source, 0) if source else 0 :]
                if p not in self.finished
            ]
            raise ValueError(
                f"cannot enqueue into phase {target!r}: tasks can only go to their own or a "
                f"later phase that has not finished; phases open to them are {still}"
            )

    def requeue(self, phase: str, queued: Queued) -> None:
        """Put a failed task back, bypassing dedupe (it was seen: it is this task)."""
        if phase in self.finished:
            return
        self.queues[phase].put_nowait(queued)

    def size(self, phase: str) -> int:
        """Tasks waiting in ``phase``."""
        return self.queues[phase].qsize()

    def pending_total(self) -> int:
        """Tasks waiting in every phase that has not finished."""
        return sum(q.qsize() for name, q in self.queues.items() if name not in self.finished)
