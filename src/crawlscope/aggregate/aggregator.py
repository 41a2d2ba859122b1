"""Server-side aggregates for every run the hub sees."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from crawlscope.aggregate.frames import RunFrame
from crawlscope.aggregate.run_aggregate import RunAggregate
from crawlscope.events import ActivityEvent

__all__ = ["Aggregator"]


class Aggregator:
    """Keeps a ``RunAggregate`` per run; register it as a hub listener.

    The aggregator is the single source of truth for live numbers: the dashboard, the
    terminal view, REST and the runs table all read frames from here, never sums of events.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._runs: dict[str, RunAggregate] = {}

    def __call__(self, event: ActivityEvent) -> None:
        run = self._runs.get(event.run_id)
        if run is None:
            run = self._runs[event.run_id] = RunAggregate(event.run_id, self.clock)
        run.apply(event)

    def __len__(self) -> int:
        return len(self._runs)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    def get(self, run_id: str) -> RunAggregate | None:
        """The aggregate for ``run_id`` if this process has seen its events."""
        return self._runs.get(run_id)

    def frame(self, run_id: str, *, with_workers: bool = True) -> RunFrame | None:
        """The current frame of ``run_id``, or None if unknown here."""
        run = self._runs.get(run_id)
        return run.frame(with_workers=with_workers) if run else None

    def held(self) -> Iterator[RunAggregate]:
        """Every run held here, ended ones included until forgotten, oldest first."""
        return iter(list(self._runs.values()))

    def active(self) -> list[RunAggregate]:
        """Runs that have not ended, oldest first."""
        return [run for run in self._runs.values() if not run.ended]

    def adopt(self, aggregate: RunAggregate) -> None:
        """Hold ``aggregate`` (rebuilt from stored events) in place of what was held."""
        self._runs[aggregate.run_id] = aggregate

    def forget(self, run_id: str) -> None:
        """Drop a run's aggregate once its final frame is stored."""
        self._runs.pop(run_id, None)
