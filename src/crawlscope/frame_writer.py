"""Run rows kept up to date: the frames of the runs aggregated here, written about once a
second, a final write when a run ends, and the run forgotten a while after that.

The row is what every other reader of a run sees (a CLI on the same database, another
server, the run list), so it is written when the frame changed, and at least every
``heartbeat_interval`` while the run goes (the row's heartbeat is its sign of life).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from crawlscope.aggregate import Aggregator, RunAggregate
from crawlscope.store import Recorder, StoreError
from crawlscope.store.health import classify
from crawlscope.store.repositories import RunRepository

__all__ = ["FrameWriter"]

log = logging.getLogger(__name__)


class FrameWriter:
    """Writes the aggregator's frames onto their runs' rows.

    ``on_forget(run_id)`` is awaited when an ended run is dropped from the aggregator
    (``forget_after`` seconds after its final write), for the parts that hold the run
    besides (the bus, the run owners).
    """

    def __init__(
        self,
        aggregator: Aggregator,
        runs: RunRepository,
        recorder: Recorder,
        *,
        heartbeat_interval: float,
        forget_after: float,
        on_forget: Callable[[str], Awaitable[None]],
    ) -> None:
        self._aggregator = aggregator
        self._runs = runs
        self._recorder = recorder
        self.heartbeat_interval = heartbeat_interval
        self.forget_after = forget_after
        self._on_forget = on_forget
        # run id -> (aggregate version written, monotonic time written)
        self._saved: dict[str, tuple[int, float]] = {}
        # run id -> monotonic time of the ended run's final write
        self._final: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def save_frames(self, *, force: bool = False) -> None:
        """Write changed runs' frames to their rows; finished runs get a final write."""
        async with self._lock:
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
                    await self._runs.save_frame(run.frame())
                    self._saved[run.run_id] = (run.version, now)
                if run.ended and run.run_id not in self._final:
                    self._final[run.run_id] = now
            for run_id, ended_at in list(self._final.items()):
                if now - ended_at >= self.forget_after:
                    self._aggregator.forget(run_id)
                    await self._on_forget(run_id)
                    self.forget(run_id)

    async def save_now(self, aggregate: RunAggregate, *, heartbeat: bool = True) -> None:
        """Write one run's frame at once (not at the next round): a status change that
        control commands and other processes read from the row."""
        await self._runs.save_frame(aggregate.frame(), heartbeat=heartbeat)
        self._saved[aggregate.run_id] = (aggregate.version, time.monotonic())

    def reopened(self, run_id: str) -> None:
        """The run goes on again (resumed, rebuilt): it is no longer waiting to be dropped."""
        self._final.pop(run_id, None)

    def forget(self, run_id: str) -> None:
        """Drop what is known of the run's writes (it is no longer aggregated here)."""
        self._saved.pop(run_id, None)
        self._final.pop(run_id, None)

    async def run(self, interval: float) -> None:
        """Save the frames every ``interval`` seconds until cancelled; failures are logged
        and retried at the next round."""
        failing = False
        while True:
            await asyncio.sleep(interval)
            try:
                await self.save_frames()
            except (StoreError, OSError, sa.exc.DBAPIError) as exc:
                # The storage failure is reported where it matters (health, readiness);
                # the log says it once, not every second while it lasts.
                if not failing:
                    log.warning("saving run frames failed (%s); will retry", classify(exc)[1])
                failing = True
                continue
            except Exception:
                log.exception("saving run frames failed; will retry")
                continue
            if failing:
                log.info("saving run frames works again")
                failing = False
