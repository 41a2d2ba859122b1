"""A run as one worker process holds it: its spec, its scope, its tasks in hand."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any, cast

from crawlscope.events import Action, ActivityEvent
from crawlscope.registry import CollectionRegistry, UnknownCollection
from crawlscope.runner.breaker import BreakerState
from crawlscope.runner.collection import Collection, Phase
from crawlscope.runner.context import RunScope
from crawlscope.runner.control import RunControl
from crawlscope.runner.progress import Progress
from crawlscope.runner.queues import PhaseQueues
from crawlscope.runner.site import SiteRegistry
from crawlscope.runner.transport import Transport
from crawlscope.workqueue.keys import QueueKeys
from crawlscope.workqueue.messages import RunSpec
from crawlscope.workqueue.shared_site import SharedSiteRegistry

__all__ = ["RunHere", "take_up"]

_BREAKER_ACTIONS = {
    BreakerState.OPEN: Action.BREAKER_OPENED,
    BreakerState.HALF_OPEN: Action.BREAKER_HALF_OPEN,
    BreakerState.CLOSED: Action.BREAKER_CLOSED,
}


@dataclass
class RunHere:
    """A run whose tasks this process takes."""

    spec: RunSpec
    collection: Collection
    control: RunControl
    scope: RunScope
    sites: SharedSiteRegistry
    streams: dict[str, Phase]
    events: list[ActivityEvent] = field(default_factory=list)
    jobs: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    worker_base: int | None = None
    ids_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def takes_tasks(self) -> bool:
        return not (self.control.paused or self.control.cancelled)

    def drain_events(self) -> list[ActivityEvent]:
        # The same list stays: the scope's ``emit`` and the tasks in hand hold its
        # ``append``.
        events = self.events[:]
        self.events.clear()
        return events

    async def worker_id(self, redis: Any, keys: QueueKeys, slots: int, k: int) -> int:
        """The run's worker id of this process's slot ``k`` (1..``slots``): the first
        call takes a block of ``slots`` ids from the run's counter."""
        if self.worker_base is None:
            async with self.ids_lock:
                if self.worker_base is None:
                    top = await redis.incrby(keys.worker_ids(self.spec.run_id), slots)
                    self.worker_base = int(top) - slots
        return self.worker_base + k


def take_up(
    spec: RunSpec, registry: CollectionRegistry, redis: Any, keys: QueueKeys, transport: Transport
) -> RunHere | None:
    """The run of ``spec`` ready to run tasks here; None if its collection is unknown."""
    try:
        collection = registry.get(spec.collection).collection
    except UnknownCollection:
        return None
    control = RunControl(0)  # the failure streak is the coordinator's to count
    if spec.paused:
        control.pause("paused")
    events: list[ActivityEvent] = []
    run_id = spec.run_id

    def on_breaker(site: str, old: BreakerState, new: BreakerState, failures: int) -> None:
        events.append(
            ActivityEvent(
                run_id=run_id,
                action=_BREAKER_ACTIONS[new],
                site=site,
                extra={"from": old.value, "to": new.value, "failures": failures},
            )
        )

    sites = SharedSiteRegistry(
        redis,
        keys,
        run_id,
        collection.site_policy,
        collection.sites,
        on_breaker,
    )
    scope = RunScope(
        run_id=run_id,
        collection=collection,
        params=spec.params,
        emit=events.append,
        control=control,
        sites=cast(SiteRegistry, sites),
        progress=Progress(collection.progress_levels),
        queues=PhaseQueues(collection.phase_names),
        # Items travel in the task's result; the coordinator's pipeline stores them.
        pipeline=cast(Any, True) if collection.dataset is not None else None,
        rng=random.Random(),
        transport=transport,
    )
    streams = {keys.tasks(run_id, phase.name): phase for phase in collection.phases}
    return RunHere(spec, collection, control, scope, sites, streams, events)
