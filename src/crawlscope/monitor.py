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
import time
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from crawlscope.aggregate import Aggregator, RunAggregate, RunFrame
from crawlscope.bus import EventBus, Hub, batch_key
from crawlscope.bus.owners import RunOwners
from crawlscope.bus.select import owners_for
from crawlscope.events import Action, ActivityEvent
from crawlscope.frame_source import FrameSource, LocalFrames
from crawlscope.owned_runs import OwnedRuns
from crawlscope.runner import AutoPause, Collection, Run
from crawlscope.runner.work_queue import WorkQueue
from crawlscope.status import ACTIVE_STATUSES, RunStatus
from crawlscope.store import Database, DatasetSink, EventQuery, Recorder, StoreError
from crawlscope.store.database import DatabaseFileGone
from crawlscope.store.health import StorageStatus, classify
from crawlscope.store.recorder import RecorderStats
from crawlscope.store.repositories import Store
from crawlscope.store.run_store import RunRecord, StatusChange
from crawlscope.store.sql_store import SqlStore
from crawlscope.timestamps import format_ts, parse_ts, utc_now

__all__ = ["Monitor", "PipelineHealth", "ResumeRefused"]

log = logging.getLogger(__name__)


class ResumeRefused(ValueError):
    """A run cannot be resumed or retried; the message says why."""


class PipelineHealth(msgspec.Struct, kw_only=True):
    """How the event pipeline is doing (``GET /api/health/services``)."""

    subscribers: int
    recorder: RecorderStats
    storage: StorageStatus


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
        self.save_interval = save_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.forget_after = forget_after
        self.work_queues: Callable[[], WorkQueue] | None = None
        """Set (``redis`` work queue): runs started here send their tasks to worker
        processes through the queue this makes, one per run."""
        self.max_unstored = max_unstored
        self.announce = announce
        self._congested_since: float | None = None
        self._saved: dict[str, tuple[int, float]] = {}
        self._final: dict[str, float] = {}
        self._save_lock = asyncio.Lock()
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
        self._writer = asyncio.create_task(self._write_loop(), name="crawlscope-run-writer")
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
        self._saved.pop(run_id, None)
        self._final.pop(run_id, None)

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
        recorder = self._recorder
        unstored = recorder.backlog
        problem = self.store.file_problem()
        if problem is not None:
            cause, message = classify(DatabaseFileGone(problem))
        elif recorder.last_error is not None:
            cause, message = classify(recorder.last_error)
        else:
            return StorageStatus(ok=True, unstored=unstored)
        since = recorder.failing_since
        return StorageStatus.failing(
            cause,
            message,
            unstored=unstored,
            failing_for_s=None if since is None else time.monotonic() - since,
        )

    @property
    def storage_failing(self) -> bool:
        """Whether the last write failed (or the database file is gone)."""
        return self._recorder.last_error is not None or self.store.file_problem() is not None

    # -- backpressure ----------------------------------------------------------------------

    def congested(self) -> bool:
        """More than ``max_unstored`` events wait to be stored: workers should wait."""
        if self._recorder.backlog <= self.max_unstored:
            return False
        if self._congested_since is None:
            self._congested_since = time.monotonic()
            log.warning(
                "%d events wait to be stored (%s); workers wait before their next task",
                self._recorder.backlog,
                self.storage_status().sentence(),
            )
        return True

    async def wait_ready(self) -> None:
        """Return once no more than half of ``max_unstored`` events wait to be stored."""
        await self._recorder.wait_below(self.max_unstored // 2)
        if self._congested_since is not None:
            log.info(
                "storage caught up after %.1fs; workers go on",
                time.monotonic() - self._congested_since,
            )
            self._congested_since = None

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
        owned = self._owned
        for run_id in dict.fromkeys(event.run_id for event in events):
            if owned.shared:
                # Other processes may ingest the run too: its owner aggregates it.
                if not owned.streamed(run_id):
                    await self._adopt_shared_run(run_id, started.get(run_id))
                if not owned.owned(run_id):
                    await owned.claim(run_id)
            elif run_id not in self._aggregator:
                await self._adopt_remote_run(run_id, started.get(run_id))
        # Other processes may ingest the same runs: take each run's seqs from the bus
        # (named by the batch's ids, so a resent batch whose first reservation's answer
        # was lost gets the same seqs).
        by_run: dict[str, list[ActivityEvent]] = {}
        for event in events:
            by_run.setdefault(event.run_id, []).append(event)
        for run_id, batch in by_run.items():
            await self.bus.reserve(run_id, len(batch), key=batch_key(batch))
        publish = self.bus.publish
        for event in events:
            publish(event)

    async def _adopt_remote_run(self, run_id: str, started: ActivityEvent | None) -> None:
        await self._create_remote_row(run_id, started)
        await self.restore_run(run_id)

    async def _adopt_shared_run(self, run_id: str, started: ActivityEvent | None) -> None:
        """A remote run's first batch here, on a shared bus: its row, and numbering after
        its stored events; the run's owner (maybe this process) aggregates it."""
        await self._create_remote_row(run_id, started)
        self.bus.open_run(run_id, await self.store.events.max_seq(run_id))
        self._owned.mark(run_id)

    async def _create_remote_row(self, run_id: str, started: ActivityEvent | None) -> None:
        extra = (started.extra if started else None) or {}
        await self.store.runs.create(
            run_id,
            str(extra.get("collection") or "unknown"),
            started.params if started else None,
            origin="remote",
            dataset=extra.get("dataset"),
        )

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
        self._final.pop(run_id, None)
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
        record = await self.store.runs.get(run_id)
        if record is None:
            raise ResumeRefused(f"no run with id {run_id!r}")
        if record.status is not RunStatus.INTERRUPTED:
            raise ResumeRefused(
                f"run {run_id} is {record.status}: only an interrupted run can be resumed"
            )
        if record.collection != collection.name:
            raise ResumeRefused(
                f"run {run_id} is of collection {record.collection!r}, not {collection.name!r}"
            )
        if record.events_pruned_at is not None:
            # Its totals and numbering would restart from no events.
            raise ResumeRefused(
                f"run {run_id}'s events were pruned (retention): it cannot be resumed"
            )
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
        record = await self.store.runs.get(run_id)
        if record is None:
            raise ResumeRefused(f"no run with id {run_id!r}")
        if record.status.active:
            raise ResumeRefused(f"run {run_id} is {record.status}: wait until it has ended")
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
        async with self._save_lock:
            now = time.monotonic()
            held = list(self._aggregator.held())
            if any(run.ended and run.run_id not in self._final for run in held):
                # A run's final row must agree with its stored events: store them first.
                await self._recorder.flush()
            for run in held:
                saved_version, saved_at = self._saved.get(run.run_id, (-1, 0.0))
                changed = run.version != saved_version
                due = now - saved_at >= self.heartbeat_interval
                if force or changed or (due and not run.ended):
                    await self.store.runs.save_frame(run.frame())
                    self._saved[run.run_id] = (run.version, now)
                if run.ended and run.run_id not in self._final:
                    self._final[run.run_id] = now
            for run_id, ended_at in list(self._final.items()):
                if now - ended_at >= self.forget_after:
                    self._aggregator.forget(run_id)
                    await self._owned.forget(run_id)
                    self.bus.forget_run(run_id)
                    self._final.pop(run_id)
                    self._saved.pop(run_id, None)

    async def _write_loop(self) -> None:
        while True:
            await asyncio.sleep(self.save_interval)
            try:
                await self.save_frames()
            except (StoreError, OSError, sa.exc.DBAPIError) as exc:
                # The storage failure is reported where it matters (health, readiness).
                log.warning("saving run frames failed (%s); will retry", classify(exc)[1])
            except Exception:
                log.exception("saving run frames failed; will retry")

    # -- runs whose runner went away -----------------------------------------------------

    async def interrupt(
        self, run_id: str, last_seen: datetime, *, last_seq: int | None = None
    ) -> None:
        """Mark a run ``interrupted``: its runner went away without ending it.

        The run ends at ``last_seen``, its last sign of life, not at the moment this was
        noticed. Row, stored frame and (if held here) live aggregate change together, so
        every reader of the run sees the same status. ``last_seq`` (the newest stored seq)
        corrects a row that lagged behind its events when its runner died.
        """
        reason = f"its runner stopped reporting (last sign of life {format_ts(last_seen)})"
        aggregate = self._aggregator.get(run_id)
        if aggregate is not None:
            aggregate.mark_interrupted(format_ts(last_seen), reason)
            await self.store.runs.save_frame(aggregate.frame(), heartbeat=False)
            self._saved[run_id] = (aggregate.version, time.monotonic())
            self._owned.changed()  # other processes read the owner's published frame
        else:
            await self.store.runs.set_status(
                run_id,
                StatusChange(
                    status=RunStatus.INTERRUPTED,
                    ended_at=last_seen,
                    last_seq=last_seq,
                    finish_reason=reason,
                ),
            )

    async def mark_abandoned_runs(self) -> list[str]:
        """Runs stored as active whose runner stopped reporting become ``interrupted``."""
        marked: list[str] = []
        horizon = utc_now() - timedelta(seconds=self.stale_after)
        for run_id in await self.store.runs.active_ids():
            if run_id in self._aggregator:
                continue
            record = await self.store.runs.get(run_id)
            if record is None:
                continue
            if record.last_sign_of_life < horizon:
                last_seen, last_seq = await self._last_seen(record)
                await self.interrupt(run_id, last_seen, last_seq=last_seq)
                marked.append(run_id)
        return marked

    async def _last_seen(self, record: RunRecord) -> tuple[datetime, int]:
        """The later of the row's heartbeat and its newest stored event, and that event's
        seq (the row's ``last_seq`` may lag behind it)."""
        seen = record.last_sign_of_life
        last_seq = await self.store.events.max_seq(record.id)
        if last_seq:
            newest = await self.store.events.read(
                EventQuery(run_id=record.id, after_seq=last_seq - 1, limit=1)
            )
            if newest:
                seen = max(seen, parse_ts(newest[0].ts))
        return seen, max(last_seq, record.last_seq)

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
        (nothing happened in the run): ``interrupt`` changes row, frame and aggregate;
        ``revive_runs`` undoes it.
        """
        stale_after = self.stale_after if stale_after is None else stale_after
        # Both clocks read together: ``heard`` is monotonic, the run's end is wall time.
        now, wall = time.monotonic(), utc_now()
        horizon = wall - timedelta(seconds=stale_after)
        marked: list[str] = []
        for record in await self.store.runs.list(status=ACTIVE_STATUSES, limit=100_000):
            run_id = record.id
            if running_here(run_id):
                continue
            aggregate = self._aggregator.get(run_id)
            if aggregate is not None:
                # Its events may reach other processes only (a shared bus): those count too.
                heard[run_id] = max(heard.setdefault(run_id, now), self._owned.seen(run_id))
                silent = now - heard[run_id]
                if aggregate.ended or silent < stale_after:
                    continue
                if self._owned.owned(run_id):
                    # Another process may hear its runner (a paused one only polls).
                    noted = await self._owned.owners.heard_at(run_id)
                    if noted is not None and wall.timestamp() - noted < stale_after:
                        continue
                # Its last sign of life: the runner's last accepted request, or its last
                # event if that is later (an event's own time, from the runner's clock).
                last_seen = wall - timedelta(seconds=silent)
                if aggregate.last_ts is not None:
                    last_seen = max(parse_ts(aggregate.last_ts), last_seen)
                await self.interrupt(run_id, last_seen)
            else:
                if record.last_sign_of_life >= horizon:
                    continue
                last_seen, last_seq = await self._last_seen(record)
                await self.interrupt(run_id, last_seen, last_seq=last_seq)
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
        if self._owned.shared:
            return await self._revive_shared(run_ids)
        revived: list[str] = []
        for run_id in run_ids:
            aggregate = self._aggregator.get(run_id)
            if aggregate is not None:
                if aggregate.status is not RunStatus.INTERRUPTED:
                    continue
                self._aggregator.forget(run_id)
            else:
                record = await self.store.runs.get(run_id)
                if record is None or record.origin != "remote":
                    continue
                if record.events_pruned_at is not None:
                    continue  # rebuilt from no events, its totals would restart at 0
                if record.status is not RunStatus.INTERRUPTED and not record.status.active:
                    continue
            await self.restore_run(run_id)
            # The row at once, not at the next save: control commands read the row's status.
            aggregate = self._aggregator.get(run_id)
            assert aggregate is not None
            await self.store.runs.save_frame(aggregate.frame())
            self._saved[run_id] = (aggregate.version, time.monotonic())
            revived.append(run_id)
            log.info("run %s: its runner reports again; rebuilt from its events", run_id)
        return revived

    async def _revive_shared(self, run_ids: Iterable[str]) -> list[str]:
        """``revive_runs`` when other processes ingest the runs too: only the run's owner
        rebuilds it. A run held here as interrupted is rebuilt; a stored interrupted run
        is claimed (if no live process owns it) and rebuilt. A run another process owns
        is rebuilt by that process when its next events arrive."""
        revived: list[str] = []
        for run_id in run_ids:
            aggregate = self._aggregator.get(run_id)
            if aggregate is not None:
                if aggregate.status is not RunStatus.INTERRUPTED or not self._owned.owned(run_id):
                    continue
                await self._owned.rebuild(run_id)
            else:
                record = await self.store.runs.get(run_id)
                if record is None or record.origin != "remote":
                    continue
                await self._owned.heard(run_id)
                if record.events_pruned_at is not None:
                    continue
                if record.status is not RunStatus.INTERRUPTED:
                    continue
                self.bus.open_run(run_id, await self.store.events.max_seq(run_id))
                if not await self._owned.claim(run_id):
                    continue
            aggregate = self._aggregator.get(run_id)
            if aggregate is None:
                continue
            await self.store.runs.save_frame(aggregate.frame())
            self._saved[run_id] = (aggregate.version, time.monotonic())
            revived.append(run_id)
            log.info("run %s: its runner reports again; rebuilt from its events", run_id)
        return revived
