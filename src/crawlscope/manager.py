"""Starting and controlling runs on behalf of a server (or any long-lived process).

Runs started here execute in this process and report to its ``Monitor``. Runs owned by
another process (a CLI runner on the same database, a remote runner reporting through
``/api/ingest``) are controlled through the ``run_commands`` table, which their runner
reads; ``control`` waits for its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crawlscope.aggregate import TERMINAL_STATUSES
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Run
from crawlscope.store import COMMANDS

__all__ = ["ControlResult", "RunManager", "TransitionNotAllowed", "UnknownRun"]

log = logging.getLogger(__name__)

_OUTCOME_STATUS = {"paused": "paused", "resumed": "running", "cancelled": "cancelled"}


class UnknownRun(LookupError):
    """No run with that id is stored or running."""


class TransitionNotAllowed(RuntimeError):
    """The command does not apply to the run in its current status."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ControlResult:
    """What a pause/resume/cancel did."""

    run_id: str
    outcome: str
    status: str


class RunManager:
    """Starts registered collections and routes control commands to whoever owns a run."""

    def __init__(self, monitor: Monitor, registry: CollectionRegistry) -> None:
        self.monitor = monitor
        self.registry = registry
        self._runs: dict[str, Run] = {}
        self._watchers: set[asyncio.Task[None]] = set()

    async def start(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        *,
        workers: int | None = None,
        seed: int | None = None,
    ) -> Run:
        """Start collection ``name`` in this process.

        Raises ``UnknownCollection`` or ``ConfigError`` (bad parameters or workers; the
        message names the field) before anything is stored.
        """
        entry = self.registry.get(name)
        collection = entry.collection
        if workers is not None:
            collection = collection.with_workers(workers)
        run = self.monitor.new_run(collection, {**entry.defaults, **(params or {})}, seed=seed)
        await run.start()
        self._runs[run.run_id] = run
        watcher = asyncio.create_task(self._forget_when_done(run))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)
        return run

    async def _forget_when_done(self, run: Run) -> None:
        with contextlib.suppress(Exception):
            await run.wait()
        self._runs.pop(run.run_id, None)

    def local(self, run_id: str) -> Run | None:
        """The ``Run`` if it executes in this process and has not ended."""
        return self._runs.get(run_id)

    @property
    def running(self) -> list[Run]:
        """Runs executing in this process."""
        return list(self._runs.values())

    async def control(self, run_id: str, command: str, *, wait: float = 5.0) -> ControlResult:
        """Apply ``pause``, ``resume`` or ``cancel`` to a run, wherever it executes."""
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}")
        run = self._runs.get(run_id)
        if run is not None:
            outcome = run.apply_command(command)
            if outcome.startswith("refused"):
                status = "paused" if run.control.paused else run.status
                raise TransitionNotAllowed(f"cannot {command} run {run_id}: {outcome}", status)
            return ControlResult(run_id, outcome, _OUTCOME_STATUS[outcome])
        record = await self.monitor.runs.get(run_id)
        if record is None:
            raise UnknownRun(f"no run with id {run_id!r}")
        if record.status in TERMINAL_STATUSES:
            raise TransitionNotAllowed(
                f"cannot {command} run {run_id}: it is {record.status}", record.status
            )
        command_id = await self.monitor.commands.enqueue(run_id, command)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while loop.time() < deadline:
            answer = await self.monitor.commands.outcome(command_id)
            if answer is not None:
                if answer.startswith("refused"):
                    raise TransitionNotAllowed(
                        f"cannot {command} run {run_id}: {answer}", record.status
                    )
                return ControlResult(run_id, answer, _OUTCOME_STATUS.get(answer, answer))
            await asyncio.sleep(0.1)
        return ControlResult(run_id, "queued", record.status)

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel the runs executing here and wait (briefly) for them to record it."""
        runs = list(self._runs.values())
        for run in runs:
            run.cancel()
        if runs:
            await asyncio.wait(
                [asyncio.ensure_future(run.wait()) for run in runs], timeout=timeout
            )
        for watcher in list(self._watchers):
            watcher.cancel()
