"""Starting, controlling and reading runs on behalf of a server (or any long-lived process).

Runs started here execute in this process and report to its ``Monitor``. Runs owned by
another process (a CLI runner on the same database, a remote runner reporting through
``/api/ingest``) are controlled through the ``run_commands`` table, which their runner
reads; ``control`` waits for its answer.

Reads go through the ``FrameSource`` (live frame, else stored frame) and the store's
repositories.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from crawlscope.aggregate import RunFrame
from crawlscope.aggregate.series import RunSeries
from crawlscope.events import ActivityEvent
from crawlscope.frame_source import FrameSource, RunDetail, run_detail
from crawlscope.monitor import Monitor, ResumeRefused
from crawlscope.registry import CollectionRegistry, RegisteredCollection, UnknownCollection
from crawlscope.runner import AutoPause, Run
from crawlscope.status import ACTIVE_STATUSES, ControlCommand, RunStatus
from crawlscope.store import EventQuery
from crawlscope.store.repositories import Store
from crawlscope.store.run_store import DayTotals, RunRecord, RunSummary
from crawlscope.timestamps import parse_ts, utc_now

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

ControlWord = Literal["paused", "resumed", "cancelled", "queued"]


class UnknownRun(LookupError):
    """No run with that id is stored or running."""


class TransitionNotAllowed(RuntimeError):
    """The command does not apply to the run in its current status."""

    def __init__(self, message: str, status: RunStatus) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ControlResult:
    """What a pause/resume/cancel did: applied (``paused``...) or ``queued`` for a runner
    that has not answered yet; ``status`` is the run's status afterwards."""

    run_id: str
    outcome: ControlWord
    status: RunStatus


@dataclass(frozen=True)
class Overview:
    """Today's totals (UTC day, from the runs table), active runs and recent finished runs."""

    today: DayTotals
    active: list[RunSummary]
    recent: list[RunSummary]


def _with_live(summary: RunSummary, frame: RunFrame) -> RunSummary:
    """A stored summary brought up to date from the live frame."""
    return msgspec.structs.replace(
        summary,
        status=frame.status,
        started_at=_moment(frame.started_at) or summary.started_at,
        ended_at=_moment(frame.ended_at),
        duration_s=frame.duration_s,
        paused_reason=frame.paused_reason,
        error=frame.error,
        dataset_size=frame.dataset_size,
        last_seq=frame.last_seq,
        totals=frame.totals,
        progress=frame.progress,
    )


def _moment(text: str | None) -> datetime | None:
    return parse_ts(text) if text else None


class RunManager:
    """Starts registered collections and routes control commands to whoever owns a run."""

    def __init__(self, monitor: Monitor, registry: CollectionRegistry) -> None:
        self._monitor = monitor
        self.registry = registry
        self.store: Store = monitor.store
        self.frames: FrameSource = monitor.frames
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

        Raises ``UnknownCollection`` or ``InvalidParams`` (a ``ConfigError`` whose
        ``field`` names the bad parameter, or ``workers``) before anything is stored.
        """
        entry = self.registry.get(name)
        collection = entry.prepared(workers)
        # Paused by itself, a run started here waits: the dashboard and the API resume it.
        run = self._monitor.new_run(
            collection, entry.check_params(params), seed=seed, on_auto_pause=AutoPause.WAIT
        )
        await self._track(run)
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

    async def control(
        self, run_id: str, command: ControlCommand, *, wait: float = 5.0
    ) -> ControlResult:
        """Apply pause, resume or cancel to a run, wherever it executes."""
        command = ControlCommand(command)
        run = self._runs.get(run_id)
        if run is not None:
            if run.control.cancelled:
                # Its workers are stopping; the run reports ``cancelled`` when they have.
                raise TransitionNotAllowed(
                    f"cannot {command} run {run_id}: it is being cancelled", run.status
                )
            outcome = run.apply_command(command)
            if not outcome.applied:
                raise TransitionNotAllowed(
                    f"cannot {command} run {run_id}: {outcome.reason}", run.effective_status
                )
            return ControlResult(run_id, _word(command), command.status_after)
        record = await self._record(run_id)
        if record is None:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")
        if command is ControlCommand.RESUME and record.status is RunStatus.INTERRUPTED:
            await self._resume_interrupted(record.collection, run_id)
            return ControlResult(run_id, "resumed", RunStatus.RUNNING)
        if record.status.terminal:
            # Worded as a runner refuses (``Run.apply_command``): a run that has just ended
            # may still be held here, and the answer must not depend on that.
            raise TransitionNotAllowed(
                f"cannot {command} run {run_id}: run is {record.status}", record.status
            )
        commands = self.store.commands
        command_id = await commands.enqueue(run_id, command)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while loop.time() < deadline:
            answer = await commands.outcome(command_id)
            if answer is not None:
                if not answer.applied:
                    raise TransitionNotAllowed(
                        f"cannot {command} run {run_id}: {answer.reason}", record.status
                    )
                return ControlResult(run_id, _word(command), command.status_after)
            await asyncio.sleep(0.1)
        return ControlResult(run_id, "queued", record.status)

    async def _resume_interrupted(self, collection_name: str, run_id: str) -> Run:
        """Continue an interrupted run here, from its saved frontier."""
        entry = self._entry_for(collection_name, run_id, "resume")
        try:
            run = await self._monitor.resume_run(
                entry.prepared(None), run_id, on_auto_pause=AutoPause.WAIT
            )
        except ResumeRefused as exc:
            raise TransitionNotAllowed(
                f"cannot resume run {run_id}: {exc}", RunStatus.INTERRUPTED
            ) from exc
        await self._track(run)
        log.info("run %s resumed from its frontier", run_id)
        return run

    async def retry_failed(self, run_id: str) -> Run:
        """Start a new run of ``run_id``'s failed tasks here (``TransitionNotAllowed``
        when it has none, is still active, or its collection is not registered)."""
        record = await self._record(run_id)
        if record is None:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")
        entry = self._entry_for(record.collection, run_id, "retry the failed tasks of")
        try:
            run = await self._monitor.retry_failed(
                entry.prepared(None), run_id, on_auto_pause=AutoPause.WAIT
            )
        except ResumeRefused as exc:
            raise TransitionNotAllowed(
                f"cannot retry the failed tasks of run {run_id}: {exc}", record.status
            ) from exc
        await self._track(run)
        return run

    def _entry_for(self, collection: str, run_id: str, doing: str) -> RegisteredCollection:
        try:
            return self.registry.get(collection)
        except UnknownCollection as exc:
            raise TransitionNotAllowed(
                f"cannot {doing} run {run_id}: its collection {collection!r} is not registered "
                "on this server (run it from a process that has it: crawlscope runs resume)",
                RunStatus.INTERRUPTED,
            ) from exc

    async def _track(self, run: Run) -> None:
        await run.start()
        self._runs[run.run_id] = run
        watcher = asyncio.create_task(self._forget_when_done(run))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    # -- reading ------------------------------------------------------------------------

    async def detail(self, run_id: str) -> RunDetail:
        """The run's current frame and where it comes from; ``UnknownRun`` if none."""
        frame = await self.frame(run_id)
        record = await self._record(run_id)
        live = self.frames.live(run_id) is not None
        # a run started here is live even before its first event is aggregated
        return run_detail(frame, record, live=live or run_id in self._runs)

    async def frame(self, run_id: str) -> RunFrame:
        """The run's current frame (``FrameSource``); ``UnknownRun`` if there is none."""
        frame = await self.frames.frame(run_id) if len(run_id) <= _MAX_RUN_ID else None
        if frame is None:
            raise UnknownRun(f"no run with id {_shown(run_id)!r}")
        return frame

    async def events(self, query: EventQuery) -> list[ActivityEvent]:
        """One page of a run's stored events; ``UnknownRun`` if the run does not exist."""
        await self._require(query.run_id)
        return await self.store.events.read(query)

    async def series(self, run_id: str, points: int) -> RunSeries:
        """The run's chart series from its stored events; ``UnknownRun`` if none."""
        found = (
            await self.store.series.series(run_id, points) if len(run_id) <= _MAX_RUN_ID else None
        )
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
        total, items = await self.store.datasets.run_items(
            frame.dataset, run_id, limit=limit, offset=offset
        )
        return frame.dataset, total, items

    async def list_runs(
        self, *, status: RunStatus | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[RunSummary], int]:
        """A page of runs, newest first, and how many match in all."""
        store = self.store.runs
        records = await store.list(status=status, limit=limit, offset=offset)
        total = await store.count(status=status)
        return [await self._summary(r) for r in records], total

    async def overview(self, *, recent: int = 10, now: datetime | None = None) -> Overview:
        """Totals of the runs created today (UTC), the active runs and the latest others."""
        now = now or utc_now()
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        store = self.store.runs
        # Rows of running runs lag by up to a second; count what this process sees now.
        live: dict[str, Any] = {}
        for held in self.frames.live_runs():
            frame = await self.frames.frame(held.run_id, with_workers=False)
            if frame is not None:
                live[held.run_id] = frame.totals
        today = await store.totals_since(midnight, overrides=live)
        active = await store.list(status=ACTIVE_STATUSES, limit=100)
        finished = await store.list(exclude_status=ACTIVE_STATUSES, limit=recent)
        return Overview(
            today=today,
            active=[await self._summary(r) for r in active],
            recent=[await self._summary(r) for r in finished],
        )

    async def _summary(self, record: RunRecord) -> RunSummary:
        summary = record.summary()
        if self.frames.live(record.id) is None:
            return summary
        live = await self.frames.frame(record.id, with_workers=False)
        return summary if live is None else _with_live(summary, live)

    async def _record(self, run_id: str) -> RunRecord | None:
        if len(run_id) > _MAX_RUN_ID:
            return None
        return await self.store.runs.get(run_id)

    async def _require(self, run_id: str) -> None:
        if len(run_id) <= _MAX_RUN_ID and self.frames.live(run_id) is not None:
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


def _word(command: ControlCommand) -> ControlWord:
    words: dict[ControlCommand, ControlWord] = {
        ControlCommand.PAUSE: "paused",
        ControlCommand.RESUME: "resumed",
        ControlCommand.CANCEL: "cancelled",
    }
    return words[command]


def _shown(run_id: str) -> str:
    """A run id for a message: user input, so cut to a readable length."""
    return run_id if len(run_id) <= _MAX_RUN_ID else run_id[:_MAX_RUN_ID] + "…"
