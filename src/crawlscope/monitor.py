"""The receiving side in one object: hub, aggregator, recorder and the runs table.

A ``Monitor`` is what a runner reports to in-process (it implements the runner's
``Reporter``), what the API reads from, and what the CLI's demo drives. Events enter
through ``emit`` (local runners) or ``ingest`` (remote ones, later) and take one path:
numbered by the hub, folded by the aggregator, persisted by the recorder, and summarised
onto the run's row about once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlscope.aggregate import Aggregator, RunFrame
from crawlscope.events import ActivityEvent
from crawlscope.hub import Hub
from crawlscope.runner import Collection, Run
from crawlscope.store import (
    CommandQueue,
    Database,
    DatasetSink,
    DatasetStore,
    EventLog,
    Recorder,
    RunStore,
)
from crawlscope.store.run_store import RunRecord

__all__ = ["Monitor"]

log = logging.getLogger(__name__)


class Monitor:
    """Hub + aggregator + recorder + run summaries over one database."""

    def __init__(
        self,
        database: Database | str,
        *,
        hub: Hub | None = None,
        save_interval: float = 1.0,
        heartbeat_interval: float = 5.0,
        stale_after: float = 30.0,
        forget_after: float = 60.0,
    ) -> None:
        self.database = database if isinstance(database, Database) else Database(database)
        self.hub = hub or Hub()
        self.aggregator = Aggregator()
        self.events = EventLog(self.database)
        self.runs = RunStore(self.database)
        self.datasets = DatasetStore(self.database)
        self.commands = CommandQueue(self.database)
        self.recorder = Recorder(self.events)
        self.save_interval = save_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.forget_after = forget_after
        self._saved: dict[str, tuple[int, float]] = {}
        self._final: dict[str, float] = {}
        self._save_lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None
        # The recorder listens first: an event is buffered for storage before anything
        # else can observe it.
        self.hub.add_listener(self.recorder)
        self.hub.add_listener(self.aggregator)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the database (migrating it), mark abandoned runs, start the writers."""
        await self.database.open()
        await self.mark_abandoned_runs()
        self.recorder.start()
        self._writer = asyncio.create_task(self._write_loop(), name="crawlscope-run-writer")

    async def stop(self) -> None:
        """Store everything received, then close the database."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self.recorder.stop()
        await self.save_frames(force=True)
        await self.database.close()

    async def __aenter__(self) -> Monitor:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- the runner's Reporter ------------------------------------------------------------

    def emit(self, event: ActivityEvent) -> None:
        """Number, aggregate and record one event."""
        self.hub.publish(event)

    async def open_run(
        self, run_id: str, collection: str, params: dict[str, Any], dataset: str | None
    ) -> None:
        """Create the run's row and continue its seq numbering after what is stored."""
        await self.runs.create(run_id, collection, params, dataset=dataset)
        self.hub.open_run(run_id, await self.events.max_seq(run_id))

    async def flush(self) -> None:
        """Store every event received so far and bring run rows up to date."""
        await self.recorder.flush()
        await self.save_frames(force=True)

    # -- running collections in this process -------------------------------------------

    def new_run(
        self,
        collection: Collection,
        params: dict[str, Any] | None = None,
        *,
        seed: int | None = None,
    ) -> Run:
        """A ``Run`` reporting here, writing to its dataset here, controllable via the CLI."""
        sink = DatasetSink(self.datasets, collection.dataset) if collection.dataset else None
        return Run(
            collection, self, params=params, sink=sink, control_source=self.commands, seed=seed
        )

    # -- reading --------------------------------------------------------------------------

    async def frame(self, run_id: str) -> RunFrame | None:
        """The live frame if this process aggregates the run, else the stored one."""
        live = self.aggregator.frame(run_id)
        if live is not None:
            return live
        record = await self.runs.get(run_id)
        return record.frame if record else None

    async def run_record(self, run_id: str) -> RunRecord | None:
        """The stored row of a run."""
        return await self.runs.get(run_id)

    # -- run rows -------------------------------------------------------------------------

    async def save_frames(self, *, force: bool = False) -> None:
        """Write changed runs' frames to their rows; finished runs get a final write."""
        async with self._save_lock:
            now = time.monotonic()
            runs = list(self.aggregator.runs.values())
            if any(run.ended and run.run_id not in self._final for run in runs):
                # A run's final row must agree with its stored events: store them first.
                await self.recorder.flush()
            for run in runs:
                saved_version, saved_at = self._saved.get(run.run_id, (-1, 0.0))
                changed = run.version != saved_version
                due = now - saved_at >= self.heartbeat_interval
                if force or changed or (due and not run.ended):
                    await self.runs.save_frame(run.frame())
                    self._saved[run.run_id] = (run.version, now)
                if run.ended and run.run_id not in self._final:
                    self._final[run.run_id] = now
            for run_id, ended_at in list(self._final.items()):
                if now - ended_at >= self.forget_after:
                    self.aggregator.forget(run_id)
                    self.hub.forget_run(run_id)
                    self._final.pop(run_id)
                    self._saved.pop(run_id, None)

    async def _write_loop(self) -> None:
        while True:
            await asyncio.sleep(self.save_interval)
            try:
                await self.save_frames()
            except Exception:
                log.exception("saving run frames failed; will retry")

    async def mark_abandoned_runs(self) -> list[str]:
        """Runs stored as active whose runner stopped reporting become ``interrupted``."""
        marked: list[str] = []
        horizon = datetime.now(UTC) - timedelta(seconds=self.stale_after)
        for run_id in await self.runs.active_ids():
            if self.aggregator.get(run_id) is not None:
                continue
            record = await self.runs.get(run_id)
            if record is None:
                continue
            beat = record.heartbeat_at or record.updated_at or record.created_at
            if datetime.fromisoformat(beat.replace("Z", "+00:00")) < horizon:
                await self.runs.set_status(run_id, "interrupted", ended=True)
                marked.append(run_id)
        return marked
