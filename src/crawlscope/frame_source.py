"""The one answer to "what is this run's state now?".

REST, the SSE and WebSocket ``state`` frames, the command line and the alert evaluator
all ask a ``FrameSource`` rather than the aggregator or the runs table, so they cannot
disagree. The in-process implementation (``LocalFrames``) returns the live frame of a
run this process aggregates, else the frame stored on the run's row; every status change
made outside the event flow (``interrupted``, revived) goes through the run store's
``set_status``, which rewrites the stored frame with the row, and through the aggregate
when this process holds it. With several processes on a shared bus, a remote run is
aggregated by its owner alone and the others read the frame it publishes
(``crawlscope.bus.owners``, docs/architecture.md); they learn which such runs are live,
and when their frames change, from the owners' frame notices (``remote_runs``,
``crawlscope.bus.frame_notices``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import NamedTuple, Protocol

import msgspec

from crawlscope.aggregate import Aggregator, RunFrame
from crawlscope.bus.owners import RunOwners
from crawlscope.status import RunStatus
from crawlscope.store.repositories import RunRepository
from crawlscope.store.run_store import RunRecord
from crawlscope.timestamps import format_ts, parse_ts, seconds_between

__all__ = ["FrameSource", "LiveRun", "LocalFrames", "RunDetail", "run_detail", "stored_frame"]


class LiveRun(NamedTuple):
    """A run whose frame changes as its events arrive here.

    ``version`` grows with every event folded (or status change), so a reader can tell
    cheaply whether a frame it sent is stale.
    """

    run_id: str
    version: int
    status: RunStatus

    @property
    def ended(self) -> bool:
        """Whether the run reached a terminal status."""
        return self.status.terminal


class RunDetail(RunFrame, kw_only=True):
    """A run's frame plus where it comes from (``GET /api/runs/{id}``, ``runs show``).

    ``live`` is true while this process aggregates the run's events or executes the run
    (numbers are current); otherwise the frame is the last one stored on the run's row.
    """

    origin: str = "local"
    created_at: datetime | None = None
    live: bool = False
    events_pruned_at: datetime | None = None
    """When retention deleted the run's raw events: its event feed is empty from then on,
    while its frame, totals, charts and rollups stay."""


def run_detail(frame: RunFrame, record: RunRecord | None, *, live: bool) -> RunDetail:
    """``frame`` with its row's origin and creation time."""
    created = record.created_at if record else None
    if created is None and frame.started_at:
        created = parse_ts(frame.started_at)
    return RunDetail(
        **msgspec.structs.asdict(frame),
        origin=record.origin if record else "local",
        created_at=created,
        live=live,
        events_pruned_at=record.events_pruned_at if record else None,
    )


class FrameSource(Protocol):
    """Current frames of runs, live or stored."""

    def live(self, run_id: str) -> LiveRun | None:
        """The run if its frame is live here (its events arrive here), else None."""

    def live_runs(self) -> list[LiveRun]:
        """Every run whose frame is live here, ended ones included until forgotten."""

    def remote_runs(self) -> list[LiveRun]:
        """The live runs another process aggregates (processes sharing a bus), as their
        owners' newest frame notices say; never one of ``live_runs()``. Their ``version``
        changes when a notice brings another frame; ``frame()`` reads it."""

    def watch(self, wakeup: asyncio.Event) -> None:
        """Set ``wakeup`` whenever one of ``remote_runs()`` changes (its owner published
        a new frame); ``live_runs()`` change as events arrive here, which their readers
        hear of already."""

    def unwatch(self, wakeup: asyncio.Event) -> None:
        """Stop setting ``wakeup``."""

    def running_workers(self) -> int:
        """Workers of active live runs that are working (not idle, paused or complete)."""

    def latency_histogram(self, run_id: str) -> list[int] | None:
        """The live run's request durations so far, counted in the bins of
        ``aggregate.series.DURATION_EDGES_MS`` (None unless live here)."""

    async def frame(self, run_id: str, *, with_workers: bool = True) -> RunFrame | None:
        """The run's current frame; None if no such run exists."""


def stored_frame(record: RunRecord) -> RunFrame:
    """The frame stored on a run's row, or one made from the row when none was stored.

    The row and its frame agree on status and end (``RunStore.set_status`` writes both);
    only the duration of a run that has not ended is brought up to now.
    """
    frame = record.frame
    if frame is None:
        frame = RunFrame(
            run_id=record.id,
            collection=record.collection,
            status=record.status,
            params=record.params,
            started_at=format_ts(record.started_at) if record.started_at else None,
            ended_at=format_ts(record.ended_at) if record.ended_at else None,
            paused_reason=record.paused_reason,
            error=record.error,
            finish_reason=record.finish_reason,
            totals=record.totals,
            progress=record.progress,
            dataset=record.dataset,
            dataset_size=record.dataset_size,
            last_seq=record.last_seq,
        )
    if frame.ended_at is None and frame.started_at is not None:
        frame = msgspec.structs.replace(frame, duration_s=seconds_between(frame.started_at, None))
    return frame


class LocalFrames:
    """Frames from this process's aggregator, else the frame the run's owner published
    (``owners``, when processes share a bus: ``crawlscope.bus.owners``), else from the
    runs table."""

    def __init__(
        self, aggregator: Aggregator, runs: RunRepository, *, owners: RunOwners | None = None
    ) -> None:
        self._aggregator = aggregator
        self._runs = runs
        self._owners = owners

    def live(self, run_id: str) -> LiveRun | None:
        """See ``FrameSource.live``."""
        run = self._aggregator.get(run_id)
        return None if run is None else LiveRun(run_id, run.version, run.status)

    def live_runs(self) -> list[LiveRun]:
        """See ``FrameSource.live_runs``."""
        return [LiveRun(run.run_id, run.version, run.status) for run in self._aggregator.held()]

    def remote_runs(self) -> list[LiveRun]:
        """See ``FrameSource.remote_runs``."""
        if self._owners is None:
            return []
        held = self._aggregator.get
        # A run taken over here a moment ago may still have its last owner's notice.
        return [
            LiveRun(run.run_id, run.version, run.status)
            for run in self._owners.remote_runs()
            if held(run.run_id) is None
        ]

    def watch(self, wakeup: asyncio.Event) -> None:
        """See ``FrameSource.watch``."""
        if self._owners is not None:
            self._owners.watch(wakeup)

    def unwatch(self, wakeup: asyncio.Event) -> None:
        """See ``FrameSource.unwatch``."""
        if self._owners is not None:
            self._owners.unwatch(wakeup)

    def running_workers(self) -> int:
        """See ``FrameSource.running_workers``."""
        return sum(run.working_workers() for run in self._aggregator.active())

    def latency_histogram(self, run_id: str) -> list[int] | None:
        """See ``FrameSource.latency_histogram``."""
        run = self._aggregator.get(run_id)
        return None if run is None else list(run.latency_bins)

    async def frame(self, run_id: str, *, with_workers: bool = True) -> RunFrame | None:
        """See ``FrameSource.frame``."""
        run = self._aggregator.get(run_id)
        if run is not None:
            return run.frame(with_workers=with_workers)
        if self._owners is not None:
            # Another process aggregates the run: its frame, fresher than the row's.
            published = await self._owners.published(run_id)
            if published is not None:
                if published.ended_at is None and published.started_at is not None:
                    # Published a moment ago (or seconds, when nothing happened since).
                    duration = seconds_between(published.started_at, None)
                    published = msgspec.structs.replace(published, duration_s=duration)
                if not with_workers:
                    published = msgspec.structs.replace(published, workers=[])
                return published
        record = await self._runs.get(run_id)
        if record is None:
            return None
        frame = stored_frame(record)
        return frame if with_workers else msgspec.structs.replace(frame, workers=[])
