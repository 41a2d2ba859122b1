"""The receiving side wired together: event bus, aggregator, recorder, store and frames.

A ``Monitor`` is what a runner reports to in-process (it implements the runner's
``Reporter``) and what the server is built on. Events enter through ``emit`` (local
runners) or ``ingest`` (remote ones) and take one path: numbered by the bus, folded by the
aggregator, persisted by the recorder, and summarised onto the run's row about once a
second.

It only wires parts together. Readers get the parts' interfaces, never its internals:
``store`` (``crawlscope.store.repositories.Store``), ``bus``
(``crawlscope.bus.EventBus``) and ``frames`` (``crawlscope.frame_source.FrameSource``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crawlscope.aggregate import Aggregator, RunAggregate, RunFrame
from crawlscope.bus import EventBus, Hub
from crawlscope.bus.owners import RunOwners
from crawlscope.bus.select import owners_for
from crawlscope.events import ActivityEvent
from crawlscope.frame_source import FrameSource, LocalFrames
from crawlscope.frame_writer import FrameWriter
from crawlscope.owned_runs import OwnedRuns
from crawlscope.pipeline_health import PipelineHealth, StorageWatch
from crawlscope.remote_runs import RemoteRuns
from crawlscope.resume_checks import ResumeRefused, check_resumable, check_retryable
from crawlscope.run_liveness import RunLiveness
from crawlscope.runner import AutoPause, Collection, Run
from crawlscope.runner.work_queue import WorkQueue
from crawlscope.store import Database, DatasetSink, EventQuery, Recorder, StoreError
from crawlscope.store.health import StorageStatus
from crawlscope.store.repositories import Store
from crawlscope.store.sql_store import SqlStore

__all__ = ["Monitor", "PipelineHealth", "ResumeRefused"]

log = logging.getLogger(__name__)


class Monitor:
    """Bus + aggregator + recorder + run summaries over one store.

    ``store`` is a ``Store``, a ``Database`` or a database URL/path. ``event_writer``:
    ``"process"`` (default for SQLite files: events are inserted by a writer process) or
    ``"inline"`` (in this process); ``None`` reads ``CRAWLSCOPE_EVENT_WRITER``. PostgreSQL
    always writes in-process. Without ``store`` the project's database is used (see
    ``crawlscope.project``). ``announce``: runs started here say on stderr where they can
    be watched (servers and the CLI, which say it themselves, turn it off).
    ``max_unstored``: above this many events waiting to be stored, runners here pause
    before their next task (``congested``) until half of them are stored: memory stays
    bounded while storage is slow or failing. ``owners``: who aggregates remote runs when
    several processes ingest them (default: from the bus, ``bus.select.owners_for``).
    """

    def __init__(
        self,
        store: Store | Database | str | None = None,
        *,
        bus: EventBus | None = None,
        save_interval: float = 1.0,
        heartbeat_interval: float = 5.0,
        stale_after: float = 30.0,
        forget_after: float = 60.0,
        event_writer: str | None = None,
        max_unstored: int = 100_000,
        announce: bool = True,
        owners: RunOwners | None = None,
    ) -> None:
        if store is None:
            # The project's database (crawlscope.toml), the environment's, or the default:
            # the same one every command and the server in this project use.
            from crawlscope.config import Settings

            store = Settings().database_url
        if isinstance(store, Database | str):
            store = SqlStore(store, event_writer=event_writer)
        self.store: Store = store
        # Readers see an event once it is stored: a seq shown is never reused after a crash.
        self.bus: EventBus = bus or Hub(until_stored=True)
        self._aggregator = Aggregator()
        self._recorder = Recorder(store.events, on_stored=self.bus.deliver)
        owners = owners or owners_for(self.bus)
        # Remote runs on a shared bus are aggregated once, by their owner, from the bus.
        self._owned = OwnedRuns(
            owners, self.bus, self._aggregator, store.events, self.restore_run, self._lost
        )
        self.frames: FrameSource = LocalFrames(
            self._aggregator, store.runs, owners=owners if owners.shared else None
        )
        self._frames_writer = FrameWriter(
            self._aggregator,
            store.runs,
            self._recorder,
            heartbeat_interval=heartbeat_interval,
            forget_after=forget_after,
            on_forget=self._forgotten,
        )
        self._liveness = RunLiveness(
            store, self._aggregator, self.bus, self._owned, self._frames_writer, self.restore_run
        )
        self._remote = RemoteRuns(store, self._aggregator, self.bus, self._owned, self.restore_run)
        self.save_interval = save_interval
        self.stale_after = stale_after
        self.work_queues: Callable[[], WorkQueue] | None = None
        """Set (``redis`` work queue): runs started here send their tasks to worker
        processes through the queue this makes, one per run."""
        self._storage = StorageWatch(self._recorder, store, max_unstored=max_unstored)
        self.announce = announce
        self._writer: asyncio.Task[None] | None = None
        # The recorder listens first: an event is buffered for storage before anything
        # else can observe it.
        self.bus.add_listener(self._recorder)
        self.bus.add_listener(self._aggregate)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store (migrating it), mark abandoned runs, start the writers."""
        await self.store.open()
        await self.bus.start()
        await self.mark_abandoned_runs()
        try:
            await self.store.events.start()
        except StoreError as exc:
            # Not fatal: the recorder keeps the events and retries, with backoff.
            log.warning("event writer not started (%s); will retry when events arrive", exc)
        self._recorder.start()
        self._writer = asyncio.create_task(
            self._frames_writer.run(self.save_interval), name="crawlscope-run-writer"
        )
        self._owned.start()

    async def stop(self, timeout: float | None = None) -> int:
        """Store everything received, then close the store; returns how many events could
        not be stored (0 normally).

        With ``timeout`` the stop takes at most about that long even when the database
        cannot be written (a full disk, a deleted file): what is still unstored then is
        logged and dropped, and the last frames are left as they were.
        """
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.wait([self._writer])
            self._writer = None
        lost = await self._recorder.stop(timeout)
        try:
            async with asyncio.timeout(timeout):
                await self._owned.catch_up()
                await self.save_frames(force=True)
        except (TimeoutError, StoreError, OSError, sa.exc.DBAPIError) as exc:
            log.error("could not store the runs' last frames while stopping: %r", exc)
        await self._owned.release_all()
        await self.store.close()  # closes the event writer again: save_frames may flush
        await self.bus.close()
        return lost

    async def __aenter__(self) -> Monitor:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- the runner's Reporter ------------------------------------------------------------

    def _aggregate(self, event: ActivityEvent) -> None:
        # A remote run on a shared bus is folded by its owner from the bus, complete;
        # what this process publishes of it is only a part.
        if not self._owned.streamed(event.run_id):
            self._aggregator(event)

    def _lost(self, run_id: str) -> None:
        """Another process owns ``run_id`` now: stop holding (and writing) its aggregate."""
        self._aggregator.forget(run_id)
        self._frames_writer.forget(run_id)

    def emit(self, event: ActivityEvent) -> None:
        """Number, aggregate and record one event."""
        self.bus.publish(event)

    async def open_run(
        self, run_id: str, collection: str, params: dict[str, Any], dataset: str | None
    ) -> None:
        """Create the run's row and continue its seq numbering after what is stored."""
        created = await self.store.runs.create(run_id, collection, params, dataset=dataset)
        self.bus.open_run(run_id, await self.store.events.max_seq(run_id))
        if self.announce and created:
            # A script's run would otherwise be invisible: say where to watch it.
            where = self.store.display_url
            sys.stderr.write(
                f"crawlscope: run {run_id} of {collection} on {where}; watch it with "
                f"`crawlscope serve` in this project (or `--db {self.store.data_path or where}`)"
                f" at http://127.0.0.1:8000/runs/{run_id}\n"
            )

    async def flush(self) -> None:
        """Store every event received so far and bring run rows up to date."""
        await self._recorder.flush()
        await self.save_frames(force=True)

    async def flush_events(self) -> None:
        """Return once every event received so far is stored."""
        await self._recorder.flush()

    @property
    def unstored(self) -> int:
        """Events received but not stored yet."""
        return self._recorder.backlog

    def live_frame(self, run_id: str) -> RunFrame | None:
        """The frame of a run this process aggregates, computed now without any I/O (for
        terminal views and in-process code that cannot await); None if not held here."""
        return self._aggregator.frame(run_id)

    def health(self) -> PipelineHealth:
        """Feeds open on the bus, what the recorder has done, whether storage works."""
        return PipelineHealth(
            subscribers=self.bus.subscriber_count(),
            recorder=self._recorder.stats(),
            storage=self.storage_status(),
        )

    def storage_status(self) -> StorageStatus:
        """Whether events can be stored now and, if not, why (cheap: no query)."""
        return self._storage.status()

    @property
    def storage_failing(self) -> bool:
        """Whether the last write failed (or the database file is gone)."""
        return self._storage.failing

    # -- backpressure (crawlscope.pipeline_health) -------------------------------------------

    def congested(self) -> bool:
        """More than ``max_unstored`` events wait to be stored: workers should wait."""
        return self._storage.congested()

    async def wait_ready(self) -> None:
        """Return once no more than half of ``max_unstored`` events wait to be stored."""
        await self._storage.wait_ready()

    # -- runners in other processes ---------------------------------------------------

    async def ingest(self, events: Sequence[ActivityEvent]) -> None:
        """Publish events received from a runner in another process.

        The caller (``crawlscope.ingest``) has validated them and left out ids already
        received. A run this process does not aggregate (its first batch, or the server
        restarted while the runner kept going) first gets its row (origin ``remote``) and
        its aggregate rebuilt from the stored events, so numbering continues after the
        stored seq and the totals cover the whole run.
        """
        await self._remote.ingest(events)

    async def restore_run(self, run_id: str, *, page: int = 5000) -> int:
        """Rebuild a run's aggregate from its stored events; returns its last stored seq.

        Afterwards the bus numbers the run's next event after that seq. Rates and ETAs
        restart empty: they measure the live pace, and replayed events would all count
        as happening now.
        """
        # Events of the run may still sit in the recorder's buffer (a run forgotten here
        # and then continued): store them first so the replay sees them.
        await self._recorder.flush()
        aggregate = RunAggregate(run_id, self._aggregator.clock)
        after = 0
        events = self.store.events
        while True:
            batch = await events.read(EventQuery(run_id=run_id, after_seq=after, limit=page))
            for event in batch:
                aggregate.apply(event)
            if len(batch) < page:
                break
            after = batch[-1].seq
        last_seq = aggregate.frame_base.last_seq
        if last_seq:
            aggregate.restart_pace()
            log.info("rebuilt run %s from %d stored events", run_id, aggregate.totals.events)
        self._aggregator.adopt(aggregate)
        self._frames_writer.reopened(run_id)
        self.bus.open_run(run_id, last_seq)
        return last_seq

    # -- running collections in this process -------------------------------------------

    def new_run(
        self,
        collection: Collection,
        params: dict[str, Any] | None = None,
        *,
        seed: int | None = None,
        on_auto_pause: AutoPause | str = AutoPause.RETURN,
    ) -> Run:
        """A ``Run`` reporting here, writing to its dataset here, controllable via the CLI,
        its frontier saved as it goes (so it can be resumed after a crash).

        ``on_auto_pause``: what its ``wait()`` does when it pauses itself (``Run``).
        """
        return self._run(collection, params, seed=seed, on_auto_pause=on_auto_pause)

    def _run(self, collection: Collection, params: dict[str, Any] | None, **options: Any) -> Run:
        store = self.store
        sink = DatasetSink(store.datasets, collection.dataset) if collection.dataset else None
        return Run(
            collection,
            self,
            params=params,
            sink=sink,
            control_source=store.commands,
            frontier=store.frontiers,
            work_queue=self.work_queues() if self.work_queues is not None else None,
            **options,
        )

    def resume_hint(self, run_id: str) -> str:
        """How to resume a run of this database from elsewhere (said when one pauses)."""
        where = self.store.data_path or self.store.display_url
        return (
            f"`crawlscope runs resume {run_id} --db {where}` "
            "(or the dashboard of a server on that database)"
        )

    async def resume_run(
        self,
        collection: Collection,
        run_id: str,
        *,
        on_auto_pause: AutoPause | str = AutoPause.RETURN,
    ) -> Run:
        """A ``Run`` that continues an interrupted run from its saved frontier.

        Its numbering and totals continue the stored ones; only the tasks that were in
        flight when it stopped run again. Raises ``ResumeRefused`` (why, for the caller)
        when the run does not exist, is not interrupted, or saved no frontier. Call
        ``start()`` on the result.
        """
        record = check_resumable(await self.store.runs.get(run_id), run_id, collection.name)
        saved = await self.store.frontiers.load(run_id)
        if saved is None:
            raise ResumeRefused(f"run {run_id} saved no frontier: it cannot be resumed")
        # Totals and numbering continue the stored run's; its events are all stored.
        await self.restore_run(run_id)
        return self._run(
            collection,
            record.params,
            run_id=run_id,
            resume_from=saved,
            on_auto_pause=on_auto_pause,
        )

    async def retry_failed(
        self,
        collection: Collection,
        run_id: str,
        *,
        on_auto_pause: AutoPause | str = AutoPause.RETURN,
    ) -> Run:
        """A new run of the tasks that failed for good in ``run_id`` (``ResumeRefused``
        when there are none, or the run is still active). Call ``start()`` on it."""
        record = check_retryable(await self.store.runs.get(run_id), run_id)
        failed = await self.store.frontiers.failed(run_id)
        if not failed:
            raise ResumeRefused(f"run {run_id} has no failed tasks to retry")
        return self._run(
            collection,
            record.params,
            tasks=failed,
            origin={"retry_of": run_id},
            on_auto_pause=on_auto_pause,
        )

    # -- run rows -------------------------------------------------------------------------

    async def save_frames(self, *, force: bool = False) -> None:
        """Write changed runs' frames to their rows; finished runs get a final write."""
        await self._frames_writer.save_frames(force=force)

    @property
    def heartbeat_interval(self) -> float:
        """A running run's row is written at least this often (seconds)."""
        return self._frames_writer.heartbeat_interval

    @heartbeat_interval.setter
    def heartbeat_interval(self, seconds: float) -> None:
        self._frames_writer.heartbeat_interval = seconds

    @property
    def forget_after(self) -> float:
        """An ended run is dropped from memory this long after its final write (seconds)."""
        return self._frames_writer.forget_after

    @forget_after.setter
    def forget_after(self, seconds: float) -> None:
        self._frames_writer.forget_after = seconds

    async def _forgotten(self, run_id: str) -> None:
        await self._owned.forget(run_id)
        self.bus.forget_run(run_id)

    # -- runs whose runner went away (crawlscope.run_liveness) -----------------------------

    async def interrupt(
        self, run_id: str, last_seen: datetime, *, last_seq: int | None = None
    ) -> None:
        """Mark a run ``interrupted``: its runner went away without ending it.

        The run ends at ``last_seen``, its last sign of life, not at the moment this was
        noticed. Row, stored frame and (if held here) live aggregate change together, so
        every reader of the run sees the same status. ``last_seq`` (the newest stored seq)
        corrects a row that lagged behind its events when its runner died.
        """
        await self._liveness.interrupt(run_id, last_seen, last_seq=last_seq)

    async def mark_abandoned_runs(self) -> list[str]:
        """Runs stored as active whose runner stopped reporting become ``interrupted``."""
        return await self._liveness.mark_abandoned(self.stale_after)

    async def sweep_stale_runs(
        self,
        *,
        running_here: Callable[[str], bool],
        heard: MutableMapping[str, float],
        stale_after: float | None = None,
    ) -> list[str]:
        """Active runs whose runner went silent become ``interrupted``; returns their ids
        (``RunLiveness.sweep`` says how silence is judged). Left alone: runs executing in
        this process (``running_here``); ``heard``: ``time.monotonic()`` of each remote
        run's last accepted request."""
        return await self._liveness.sweep(
            running_here=running_here,
            heard=heard,
            stale_after=self.stale_after if stale_after is None else stale_after,
        )

    async def revive_runs(self, run_ids: Iterable[str]) -> list[str]:
        """Remote runs whose runner reports again are rebuilt from their events
        (``RunLiveness.revive``); returns the ids rebuilt."""
        return await self._liveness.revive(run_ids)
