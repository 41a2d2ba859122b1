"""Starting, controlling and reading runs on behalf of a server (or any long-lived process).

Runs started here execute in this process and report to its ``Monitor``. Runs owned by
another process (a CLI runner on the same database, a remote runner reporting through
``/api/ingest``) are controlled through the ``run_commands`` table, which their runner
reads; ``control`` waits for its answer.

Reads merge the two sources of truth: the live aggregate for runs this process sees
events of, the stored row (and its last frame) for everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from crawlscope.aggregate import TERMINAL_STATUSES, RunFrame
from crawlscope.aggregate.series import RunSeries
from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Run
from crawlscope.store import COMMANDS, EventQuery
from crawlscope.store.run_store import (
    ACTIVE_STATUSES,
    DayTotals,
    RunRecord,
    RunSummary,
    duration_s,
)
from crawlscope.store.series import SeriesStore

__all__ = [
    "ControlResult",
    "Overview",
    "RunDetail",
    "RunManager",
    "TransitionNotAllowed",
    "UnknownRun",
]

# Run ids are at most 64 characters (the column's size); longer ones cannot exist.
_MAX_RUN_ID = 64

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


class RunDetail(RunFrame, kw_only=True):
    """A run's frame plus where it comes from (``GET /api/runs/{id}``).

    ``live`` is true while this process aggregates the run's events or executes the run
    (numbers are current); otherwise the frame is the last one stored on the run's row.
    """

    origin: str = "local"
    created_at: str | None = None
    live: bool = False


@dataclass(frozen=True)
class Overview:
    """Today's totals (UTC day, from the runs table), active runs and recent finished runs."""

    today: DayTotals
    active: list[RunSummary]
    recent: list[RunSummary]


def _stored_frame(record: RunRecord) -> RunFrame:
    """The row's last frame, corrected by what the row knows better.

    The row's status can change without a new frame (a run found abandoned at start-up
    becomes ``interrupted``), and a stored frame's duration stops at its last write.
    """
    frame = record.frame or RunFrame(
        run_id=record.id,
        collection=record.collection,
        params=record.params,
        totals=record.totals,
        progress=record.progress,
        dataset=record.dataset,
        dataset_size=record.dataset_size,
        last_seq=record.last_seq,
        paused_reason=record.paused_reason,
        error=record.error,
    )
    started_at = frame.started_at or record.started_at
    ended_at = record.ended_at or frame.ended_at
    return msgspec.structs.replace(
        frame,
        status=record.status,
        started_at=started_at,
        ended_at=ended_at,
        duration_s=duration_s(started_at, ended_at),
    )


def _with_live(summary: RunSummary, frame: RunFrame) -> RunSummary:
    """A stored summary brought up to date from the live frame."""
    return msgspec.structs.replace(
        summary,
        status=frame.status,
        started_at=frame.started_at or summary.started_at,
        ended_at=frame.ended_at,
        duration_s=frame.duration_s,
        paused_reason=frame.paused_reason,
        error=frame.error,
        dataset_size=frame.dataset_size,
        last_seq=frame.last_seq,
        totals=frame.totals,
        progress=frame.progress,
    )


class RunManager:
    """Starts registered collections and routes control commands to whoever owns a run."""

    def __init__(self, monitor: Monitor, registry: CollectionRegistry) -> None:
        self.monitor = monitor
        self.registry = registry
        self._runs: dict[str, Run] = {}
        self._watchers: set[asyncio.Task[None]] = set()
        self._series = SeriesStore(monitor.database)

    async def start(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        *,
        workers: int | None = None,
        seed: int | None = None,
    ) -> Run:
        """Start collection ``name`` in this process.

        Raises ``UnknownCollection`` or ``InvalidParams`` (a ``ConfigError`` whose
        ``field`` names the bad parameter, or ``workers``) before anything is stored.
        """
        entry = self.registry.get(name)
        collection = entry.prepared(workers)
        run = self.monitor.new_run(collection, entry.check_params(params), seed=seed)
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
            if run.control.cancelled:
                # Its workers are stopping; the run reports ``cancelled`` when they have.
                raise TransitionNotAllowed(
                    f"cannot {command} run {run_id}: it is being cancelled", run.status
                )
            outcome = run.apply_command(command)
            if outcome.startswith("refused"):
                status = "paused" if run.control.paused else run.status
                raise TransitionNotAllowed(
                    f"cannot {command} run {run_id}: {outcome.removeprefix('refused: ')}", status
                )
            return ControlResult(run_id, outcome, _OUTCOME_STATUS[outcome])
        record = await self._record(run_id)
        if record is None:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")
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
                        f"cannot {command} run {run_id}: {answer.removeprefix('refused: ')}",
                        record.status,
                    )
                return ControlResult(run_id, answer, _OUTCOME_STATUS.get(answer, answer))
            await asyncio.sleep(0.1)
        return ControlResult(run_id, "queued", record.status)

    # -- reading ------------------------------------------------------------------------

    async def detail(self, run_id: str) -> RunDetail:
        """The run's current frame and where it comes from; ``UnknownRun`` if none."""
        live = self.monitor.aggregator.frame(run_id) if len(run_id) <= _MAX_RUN_ID else None
        record = await self._record(run_id)
        if live is not None:
            frame = live
        elif record is not None:
            frame = _stored_frame(record)
        else:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")
        return RunDetail(
            **msgspec.structs.asdict(frame),
            origin=record.origin if record else "local",
            created_at=record.created_at if record else frame.started_at,
            # a run started here is live even before its first event is aggregated
            live=live is not None or run_id in self._runs,
        )

    async def frame(self, run_id: str) -> RunFrame:
        """The live frame, else the stored one; ``UnknownRun`` if the run does not exist."""
        if len(run_id) <= _MAX_RUN_ID:
            live = self.monitor.aggregator.frame(run_id)
            if live is not None:
                return live
        record = await self._record(run_id)
        if record is None:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")
        return _stored_frame(record)

    async def events(self, query: EventQuery) -> list[ActivityEvent]:
        """One page of a run's stored events; ``UnknownRun`` if the run does not exist."""
        await self._require(query.run_id)
        return await self.monitor.events.read(query)

    async def series(self, run_id: str, points: int) -> RunSeries:
        """The run's chart series from its stored events; ``UnknownRun`` if none."""
        found = await self._series.series(run_id, points) if len(run_id) <= _MAX_RUN_ID else None
        if found is None:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")
        return found

    async def items(
        self, run_id: str, *, limit: int, offset: int
    ) -> tuple[str | None, int, list[Any]]:
        """``(dataset, total, items)`` of a run's dataset that the run stored or saw last."""
        frame = await self.frame(run_id)
        if frame.dataset is None:
            return None, 0, []
        total, items = await self.monitor.datasets.run_items(
            frame.dataset, run_id, limit=limit, offset=offset
        )
        return frame.dataset, total, items

    async def list_runs(
        self, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[RunSummary], int]:
        """A page of runs, newest first, and how many match in all."""
        store = self.monitor.runs
        records = await store.list(status=status, limit=limit, offset=offset)
        total = await store.count(status=status)
        return [self._summary(r) for r in records], total

    async def overview(self, *, recent: int = 10, now: datetime | None = None) -> Overview:
        """Totals of the runs created today (UTC), the active runs and the latest others."""
        now = now or datetime.now(UTC)
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        store = self.monitor.runs
        # Rows of running runs lag by up to a second; count what this process sees now.
        live = {run.run_id: run.frame().totals for run in self.monitor.aggregator.runs.values()}
        since = midnight.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        today = await store.totals_since(since, overrides=live)
        active = await store.list(status=ACTIVE_STATUSES, limit=100)
        finished = await store.list(exclude_status=ACTIVE_STATUSES, limit=recent)
        return Overview(
            today=today,
            active=[self._summary(r) for r in active],
            recent=[self._summary(r) for r in finished],
        )

    def _summary(self, record: RunRecord) -> RunSummary:
        summary = record.summary()
        live = self.monitor.aggregator.frame(record.id)
        return summary if live is None else _with_live(summary, live)

    async def _record(self, run_id: str) -> RunRecord | None:
        if len(run_id) > _MAX_RUN_ID:
            return None
        return await self.monitor.runs.get(run_id)

    async def _require(self, run_id: str) -> None:
        if len(run_id) <= _MAX_RUN_ID and self.monitor.aggregator.get(run_id) is not None:
            return
        if await self._record(run_id) is None:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")

    # -- shutting down --------------------------------------------------------------------

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel the runs executing here and wait (briefly) for them to record it."""
        runs = list(self._runs.values())
        for run in runs:
            run.cancel()
        if runs:
            await asyncio.wait([asyncio.ensure_future(run.wait()) for run in runs], timeout=timeout)
        for watcher in list(self._watchers):
            watcher.cancel()


def _shown(run_id: str) -> str:
    """A run id for a message: user input, so cut to a readable length."""
    return run_id if len(run_id) <= _MAX_RUN_ID else run_id[:_MAX_RUN_ID] + "…"
