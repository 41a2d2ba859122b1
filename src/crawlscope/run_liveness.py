"""Runs whose runner went away: marked ``interrupted``, and rebuilt when it reports again.

A run is active while its runner says so; a runner killed without a word leaves it
``running`` for ever unless someone notices the silence. The monitor does, at start-up
(``mark_abandoned``) and, in a server, periodically (``sweep``); a runner that reports
again after that gets its run rebuilt from its stored events (``revive``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from datetime import datetime, timedelta

from crawlscope.aggregate import Aggregator
from crawlscope.bus import EventBus
from crawlscope.frame_writer import FrameWriter
from crawlscope.owned_runs import OwnedRuns
from crawlscope.status import ACTIVE_STATUSES, RunStatus
from crawlscope.store import EventQuery
from crawlscope.store.repositories import Store
from crawlscope.store.run_store import RunRecord, StatusChange
from crawlscope.timestamps import format_ts, parse_ts, utc_now

__all__ = ["RunLiveness"]

log = logging.getLogger(__name__)


class RunLiveness:
    """Interrupts silent runs and revives them; the monitor's parts, shared with it.

    ``restore(run_id)`` rebuilds a run's aggregate from its stored events (the
    monitor's ``restore_run``).
    """

    def __init__(
        self,
        store: Store,
        aggregator: Aggregator,
        bus: EventBus,
        owned: OwnedRuns,
        writer: FrameWriter,
        restore: Callable[[str], Awaitable[int]],
    ) -> None:
        self._store = store
        self._aggregator = aggregator
        self._bus = bus
        self._owned = owned
        self._writer = writer
        self._restore = restore

    async def interrupt(
        self, run_id: str, last_seen: datetime, *, last_seq: int | None = None
    ) -> None:
        """Mark a run ``interrupted`` (``Monitor.interrupt``)."""
        reason = f"its runner stopped reporting (last sign of life {format_ts(last_seen)})"
        aggregate = self._aggregator.get(run_id)
        if aggregate is not None:
            aggregate.mark_interrupted(format_ts(last_seen), reason)
            await self._writer.save_now(aggregate, heartbeat=False)
            self._owned.changed()  # other processes read the owner's published frame
        else:
            await self._store.runs.set_status(
                run_id,
                StatusChange(
                    status=RunStatus.INTERRUPTED,
                    ended_at=last_seen,
                    last_seq=last_seq,
                    finish_reason=reason,
                ),
            )

    async def mark_abandoned(self, stale_after: float) -> list[str]:
        """Runs stored as active whose row is older than ``stale_after`` seconds and
        which are not aggregated here become ``interrupted``; returns their ids."""
        marked: list[str] = []
        horizon = utc_now() - timedelta(seconds=stale_after)
        for run_id in await self._store.runs.active_ids():
            if run_id in self._aggregator:
                continue
            record = await self._store.runs.get(run_id)
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
        events = self._store.events
        last_seq = await events.max_seq(record.id)
        if last_seq:
            newest = await events.read(
                EventQuery(run_id=record.id, after_seq=last_seq - 1, limit=1)
            )
            if newest:
                seen = max(seen, parse_ts(newest[0].ts))
        return seen, max(last_seq, record.last_seq)

    async def sweep(
        self,
        *,
        running_here: Callable[[str], bool],
        heard: MutableMapping[str, float],
        stale_after: float,
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
        # Both clocks read together: ``heard`` is monotonic, the run's end is wall time.
        now, wall = time.monotonic(), utc_now()
        horizon = wall - timedelta(seconds=stale_after)
        marked: list[str] = []
        for record in await self._store.runs.list(status=ACTIVE_STATUSES, limit=100_000):
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

    async def revive(self, run_ids: Iterable[str]) -> list[str]:
        """Remote runs whose runner reports again are rebuilt from their events.

        For the run ids of an accepted ingest request, before its events are published: a
        run held here as ``interrupted`` (swept, or the server restarted) and a stored
        remote run this process does not hold yet (a paused runner only polls, so
        ``ingest`` would never adopt it) get their aggregate rebuilt, which restores the
        status their events say (running, paused). On a shared bus only the run's owner
        rebuilds it. Returns the ids rebuilt.
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
                record = await self._store.runs.get(run_id)
                if record is None or record.origin != "remote":
                    continue
                if record.events_pruned_at is not None:
                    continue  # rebuilt from no events, its totals would restart at 0
                if record.status is not RunStatus.INTERRUPTED and not record.status.active:
                    continue
            await self._restore(run_id)
            await self._saved_at_once(run_id, revived)
        return revived

    async def _revive_shared(self, run_ids: Iterable[str]) -> list[str]:
        """``revive`` when other processes ingest the runs too: only the run's owner
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
                record = await self._store.runs.get(run_id)
                if record is None or record.origin != "remote":
                    continue
                await self._owned.heard(run_id)
                if record.events_pruned_at is not None:
                    continue
                if record.status is not RunStatus.INTERRUPTED:
                    continue
                self._bus.open_run(run_id, await self._store.events.max_seq(run_id))
                if not await self._owned.claim(run_id):
                    continue
            await self._saved_at_once(run_id, revived)
        return revived

    async def _saved_at_once(self, run_id: str, revived: list[str]) -> None:
        # The row at once, not at the next save: control commands read the row's status.
        aggregate = self._aggregator.get(run_id)
        if aggregate is None:
            return
        await self._writer.save_now(aggregate)
        revived.append(run_id)
        log.info("run %s: its runner reports again; rebuilt from its events", run_id)
