"""The receiving side in one object: hub, aggregator, recorder and the runs table.

A ``Monitor`` is what a runner reports to in-process (it implements the runner's
``Reporter``), what the API reads from, and what the CLI's demo drives. Events enter
through ``emit`` (local runners) or ``ingest`` (remote ones) and take one path:
numbered by the hub, folded by the aggregator, persisted by the recorder, and summarised
onto the run's row about once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlscope.aggregate import Aggregator, RunAggregate, RunFrame
from crawlscope.aggregate.pace import RateWindow
from crawlscope.events import Action, ActivityEvent, utc_now_iso
from crawlscope.hub import Hub
from crawlscope.runner import Collection, Run
from crawlscope.store import (
    CommandQueue,
    Database,
    DatasetSink,
    DatasetStore,
    EventQuery,
    Recorder,
    RunStore,
    StoreError,
    event_log_for,
)
from crawlscope.store.run_store import ACTIVE_STATUSES, RunRecord

__all__ = ["Monitor"]

log = logging.getLogger(__name__)


class Monitor:
    """Hub + aggregator + recorder + run summaries over one database.

    ``event_writer``: ``"process"`` (default for SQLite files: events are inserted by a
    writer process) or ``"inline"`` (in this process); ``None`` reads
    ``CRAWLSCOPE_EVENT_WRITER``. PostgreSQL always writes in-process.
    """

    def __init__(
        self,
        database: Database | str,
        *,
        hub: Hub | None = None,
        save_interval: float = 1.0,
        heartbeat_interval: float = 5.0,
        stale_after: float = 30.0,
        forget_after: float = 60.0,
        event_writer: str | None = None,
    ) -> None:
        self.database = database if isinstance(database, Database) else Database(database)
        self.hub = hub or Hub()
        self.aggregator = Aggregator()
        # SQLite files get a writer process unless event_writer (or CRAWLSCOPE_EVENT_WRITER)
        # is "inline": see crawlscope.store.process_event_log.
        self.events = event_log_for(self.database, event_writer)
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
        try:
            await self.events.start()
        except StoreError as exc:
            # Not fatal: the recorder keeps the events and retries, with backoff.
            log.warning("event writer not started (%s); will retry when events arrive", exc)
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
        await self.events.close()  # again: save_frames may have flushed late events
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

    # -- runners in other processes ---------------------------------------------------

    async def ingest(self, events: Sequence[ActivityEvent]) -> None:
        """Publish events received from a runner in another process.

        The caller (``crawlscope.ingest``) has validated them and left out ids already
        received. A run this process does not aggregate (its first batch, or the server
        restarted while the runner kept going) first gets its row (origin ``remote``) and
        its aggregate rebuilt from the stored events, so numbering continues after the
        stored seq and the totals cover the whole run.
        """
        started: dict[str, ActivityEvent] = {}
        for event in events:
            if event.action == Action.RUN_STARTED and event.worker_id == 0:
                started.setdefault(event.run_id, event)
        for run_id in dict.fromkeys(event.run_id for event in events):
            if self.aggregator.get(run_id) is None:
                await self._adopt_remote_run(run_id, started.get(run_id))
        publish = self.hub.publish
        for event in events:
            publish(event)

    async def _adopt_remote_run(self, run_id: str, started: ActivityEvent | None) -> None:
        extra = (started.extra if started else None) or {}
        await self.runs.create(
            run_id,
            str(extra.get("collection") or "unknown"),
            started.params if started else None,
            origin="remote",
            dataset=extra.get("dataset"),
        )
        await self.restore_run(run_id)

    async def restore_run(self, run_id: str, *, page: int = 5000) -> int:
        """Rebuild a run's aggregate from its stored events; returns its last stored seq.

        Afterwards the hub numbers the run's next event after that seq. Rates and ETAs
        restart empty: they measure the live pace, and replayed events would all count
        as happening now.
        """
        # Events of the run may still sit in the recorder's buffer (a run forgotten here
        # and then continued): store them first so the replay sees them.
        await self.recorder.flush()
        aggregate = RunAggregate(run_id, self.aggregator.clock)
        after = 0
        while True:
            batch = await self.events.read(EventQuery(run_id=run_id, after_seq=after, limit=page))
            for event in batch:
                aggregate.apply(event)
            if len(batch) < page:
                break
            after = batch[-1].seq
        last_seq = aggregate.frame_base.last_seq
        if last_seq:
            aggregate.requests_rate = RateWindow()
            aggregate.items_rate = RateWindow()
            aggregate.eta.clear()
            log.info("rebuilt run %s from %d stored events", run_id, aggregate.totals.events)
        self.aggregator.runs[run_id] = aggregate
        self._final.pop(run_id, None)
        self.hub.open_run(run_id, last_seq)
        return last_seq

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

    # -- runners that went silent while this process runs ------------------------------

    async def sweep_stale_runs(
        self,
        *,
        running_here: Callable[[str], bool],
        heard: MutableMapping[str, float],
        stale_after: float | None = None,
    ) -> list[str]:
        """Active runs whose runner went silent become ``interrupted``; returns their ids.

        ``mark_abandoned_runs`` does this once at start-up; a server calls this
        periodically. Left alone: runs executing in this process (``running_here``). A run
        this process aggregates (a remote runner reporting through ingest) is stale when
        ``heard[run_id]`` (``time.monotonic()`` of its runner's last accepted request; set
        to now when missing) is older than ``stale_after`` seconds: its row here is
        refreshed by this process's own writer, so the row's heartbeat says nothing about
        the runner. Any other run (a CLI runner on the same database, a remote run of an
        earlier server) is stale when its row's heartbeat is that old. No event is emitted
        (nothing happened in the run): the row and, if held here, the aggregate change
        status, so REST and the streams show it. ``revive_runs`` undoes it.
        """
        stale_after = self.stale_after if stale_after is None else stale_after
        now = time.monotonic()
        horizon = datetime.now(UTC) - timedelta(seconds=stale_after)
        marked: list[str] = []
        for record in await self.runs.list(status=ACTIVE_STATUSES, limit=100_000):
            run_id = record.id
            if running_here(run_id):
                continue
            aggregate = self.aggregator.get(run_id)
            if aggregate is not None:
                if aggregate.ended or now - heard.setdefault(run_id, now) < stale_after:
                    continue
                aggregate.mark_interrupted(utc_now_iso())
            else:
                beat = record.heartbeat_at or record.updated_at or record.created_at
                if datetime.fromisoformat(beat.replace("Z", "+00:00")) >= horizon:
                    continue
            await self.runs.set_status(run_id, "interrupted", ended=True)
            log.warning("run %s: no word from its runner for %gs; interrupted", run_id, stale_after)
            marked.append(run_id)
        return marked

    async def revive_runs(self, run_ids: Iterable[str]) -> list[str]:
        """Remote runs whose runner reports again are rebuilt from their events.

        For the run ids of an accepted ingest request, before its events are published: a
        run held here as ``interrupted`` (swept, or the server restarted) and a stored
        remote run this process does not hold yet (a paused runner only polls, so
        ``ingest`` would never adopt it) get their aggregate rebuilt, which restores the
        status their events say (running, paused). Returns the ids rebuilt.
        """
        revived: list[str] = []
        for run_id in run_ids:
            aggregate = self.aggregator.get(run_id)
            if aggregate is not None:
                if aggregate.status != "interrupted":
                    continue
                self.aggregator.forget(run_id)
            else:
                record = await self.runs.get(run_id)
                if record is None or record.origin != "remote":
                    continue
                if record.status != "interrupted" and record.status not in ACTIVE_STATUSES:
                    continue
            await self.restore_run(run_id)
            # The row at once, not at the next save: control commands read the row's status.
            aggregate = self.aggregator.runs[run_id]
            await self.runs.save_frame(aggregate.frame())
            self._saved[run_id] = (aggregate.version, time.monotonic())
            revived.append(run_id)
            log.info("run %s: its runner reports again; rebuilt from its events", run_id)
        return revived
