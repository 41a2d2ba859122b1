"""Runs whose runner is in another process: their batches, taken into this process.

A batch of a run not known here (its first, or the server restarted while the runner
kept going) first gets the run's row (origin ``remote``) and its aggregate rebuilt from
the stored events, so numbering continues after the stored seq and the totals cover the
whole run. On a shared bus (several processes ingest the run) the run's owner
aggregates it and every process takes its seqs from the bus.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from crawlscope.aggregate import Aggregator
from crawlscope.bus import EventBus, batch_key
from crawlscope.events import Action, ActivityEvent
from crawlscope.owned_runs import OwnedRuns
from crawlscope.store.repositories import Store

__all__ = ["RemoteRuns"]


class RemoteRuns:
    """Publishes ingested batches (``Monitor.ingest``), adopting the runs first seen.

    ``restore(run_id)`` rebuilds a run's aggregate from its stored events (the
    monitor's ``restore_run``).
    """

    def __init__(
        self,
        store: Store,
        aggregator: Aggregator,
        bus: EventBus,
        owned: OwnedRuns,
        restore: Callable[[str], Awaitable[int]],
    ) -> None:
        self._store = store
        self._aggregator = aggregator
        self._bus = bus
        self._owned = owned
        self._restore = restore

    async def ingest(self, events: Sequence[ActivityEvent]) -> None:
        """Publish events received from a runner in another process (validated, and
        without ids already received)."""
        started: dict[str, ActivityEvent] = {}
        for event in events:
            if event.action == Action.RUN_STARTED and event.worker_id == 0:
                started.setdefault(event.run_id, event)
        owned = self._owned
        for run_id in dict.fromkeys(event.run_id for event in events):
            if owned.shared:
                # Other processes may ingest the run too: its owner aggregates it.
                if not owned.streamed(run_id):
                    await self._adopt_shared(run_id, started.get(run_id))
                if not owned.owned(run_id):
                    await owned.claim(run_id)
            elif run_id not in self._aggregator:
                await self._create_row(run_id, started.get(run_id))
                await self._restore(run_id)
        # Other processes may ingest the same runs: take each run's seqs from the bus
        # (named by the batch's ids, so a resent batch whose first reservation's answer
        # was lost gets the same seqs).
        by_run: dict[str, list[ActivityEvent]] = {}
        for event in events:
            by_run.setdefault(event.run_id, []).append(event)
        for run_id, batch in by_run.items():
            await self._bus.reserve(run_id, len(batch), key=batch_key(batch))
        publish = self._bus.publish
        for event in events:
            publish(event)

    async def _adopt_shared(self, run_id: str, started: ActivityEvent | None) -> None:
        """A remote run's first batch here, on a shared bus: its row, and numbering after
        its stored events; the run's owner (maybe this process) aggregates it."""
        await self._create_row(run_id, started)
        self._bus.open_run(run_id, await self._store.events.max_seq(run_id))
        self._owned.mark(run_id)

    async def _create_row(self, run_id: str, started: ActivityEvent | None) -> None:
        extra = (started.extra if started else None) or {}
        await self._store.runs.create(
            run_id,
            str(extra.get("collection") or "unknown"),
            started.params if started else None,
            origin="remote",
            dataset=extra.get("dataset"),
        )
