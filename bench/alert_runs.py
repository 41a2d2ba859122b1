"""Synthetic active runs for bench/alert_eval.py: workers finishing tasks at a steady rate,
folded into a real ``Aggregator`` (see alert_eval.py's docstring for the mix)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from crawlscope.aggregate import Aggregator
from crawlscope.events import Action, ActivityEvent, ErrorType
from crawlscope.timestamps import format_ts, utc_now

COLLECTIONS = ("shop", "news", "jobs", "books", "travel")
FEED_STEP_S = 0.05
"""How often the feeder folds the events that fell due (real time)."""


@dataclass(slots=True)
class _Worker:
    worker_id: int
    next_at: float
    site: str = ""
    task: int = 0


@dataclass(slots=True)
class _Run:
    run_id: str
    collection: str
    sites: list[str]
    error_p: float
    items_per_task: int
    slow_site: str | None
    quality: bool
    workers: list[_Worker] = field(default_factory=list)
    seq: int = 0
    paused: bool = False
    done: int = 0
    next_progress_at: float = 0.0


class SyntheticRuns:
    """``count`` active runs whose workers keep finishing tasks, folded into ``aggregator``.

    ``advance(dt)`` moves the runs' own clock by ``dt`` seconds and folds every event
    that fell due (so the same code feeds in real time and fast-forwards).
    """

    def __init__(
        self, aggregator: Aggregator, count: int, workers: int, task_s: float, seed: int
    ) -> None:
        self.aggregator = aggregator
        self.rng = random.Random(seed)
        self.task_s = task_s
        self.now = 0.0
        self.events = 0
        self.runs: list[_Run] = []
        for index in range(count):
            sites = [f"site{index}-{n}.example" for n in range(2 + index % 2)]
            run = _Run(
                run_id=f"bench-run-{index:02d}",
                collection=COLLECTIONS[index % len(COLLECTIONS)],
                sites=sites,
                # Most runs: a few errors; one in 25: nearly half its requests fail.
                error_p=0.45 if index % 25 == 3 else 0.02 + 0.01 * (index % 4),
                # One run in 25 finds nothing (a broken selector).
                items_per_task=0 if index % 25 == 5 else 5 + index % 7,
                # One in ten has a slow site.
                slow_site=sites[0] if index % 10 == 1 else None,
                quality=index % 4 == 0,
            )
            run.workers = [
                _Worker(worker_id, next_at=self.rng.uniform(0, task_s))
                for worker_id in range(1, workers + 1)
            ]
            self.runs.append(run)

    def _emit(self, run: _Run, action: Action, **fields: Any) -> None:
        run.seq += 1
        self.events += 1
        self.aggregator(ActivityEvent(run_id=run.run_id, action=action, seq=run.seq, **fields))

    def start(self) -> None:
        """``run_started`` and ``phase_started`` of every run; some sites' breakers open."""
        ts = format_ts(utc_now())
        for index, run in enumerate(self.runs):
            extra: dict[str, Any] = {"collection": run.collection, "dataset": run.collection}
            if run.quality:
                extra["quality"] = {"fields": ["name", "price", "url"], "schema": "msgspec"}
            self._emit(run, Action.RUN_STARTED, ts=ts, extra=extra)
            self._emit(
                run,
                Action.PHASE_STARTED,
                ts=ts,
                phase="pages",
                extra={"workers": len(run.workers)},
            )
            if index % 17 == 0:
                self._emit(run, Action.BREAKER_OPENED, ts=ts, site=run.sites[-1])
            for worker in run.workers:
                self._start_task(run, worker, ts)

    def _start_task(self, run: _Run, worker: _Worker, ts: str) -> None:
        worker.task += 1
        worker.site = run.sites[worker.task % len(run.sites)]
        self._emit(
            run,
            Action.FETCHING,
            ts=ts,
            worker_id=worker.worker_id,
            phase="pages",
            task=f"t{worker.worker_id}-{worker.task}",
            site=worker.site,
            url=f"https://{worker.site}/p/{worker.task}",
            method="GET",
            attempt=1,
        )

    def _finish_task(self, run: _Run, worker: _Worker, ts: str) -> None:
        rng = self.rng
        slow = worker.site == run.slow_site
        duration = rng.lognormvariate(7.3 if slow else 5.5, 0.5)  # ms: ~1.5 s or ~250 ms
        common = {"ts": ts, "worker_id": worker.worker_id, "site": worker.site}
        if rng.random() < run.error_p:
            self._emit(
                run,
                Action.ERROR,
                **common,
                duration_ms=duration,
                error_type=ErrorType.HTTP_5XX,
                error_stage="request",
                error_message="HTTP 503",
                status_code=503,
            )
            self._emit(
                run,
                Action.COMPLETE,
                **common,
                duration_ms=duration + 5,
                error_type=ErrorType.HTTP_5XX,
            )
            return
        self._emit(run, Action.FOUND, **common, duration_ms=duration, status_code=200)
        count = run.items_per_task
        if count:
            extra = None
            if run.quality:
                present = {"name": count, "price": count - (worker.task % 3 == 0), "url": count}
                extra = {"quality": {"checked": count, "invalid": 0, "present": present}}
            self._emit(
                run,
                Action.UPLOADING,
                ts=ts,
                items_count=count,
                source_worker_id=worker.worker_id,
                extra=extra,
            )
        run.done += 1
        self._emit(run, Action.COMPLETE, **common, duration_ms=duration + 20)

    def advance(self, dt: float) -> None:
        """Fold the events of the next ``dt`` seconds."""
        self.now += dt
        now = self.now
        ts = format_ts(utc_now())
        rng = self.rng
        for run in self.runs:
            if run.paused:
                continue
            for worker in run.workers:
                while worker.next_at <= now:
                    self._finish_task(run, worker, ts)
                    self._start_task(run, worker, ts)
                    worker.next_at += rng.uniform(0.5, 1.5) * self.task_s
            if now >= run.next_progress_at:
                run.next_progress_at = now + 5.0
                total = 50_000
                level = {"level": "pages", "done": run.done, "total": total}
                self._emit(run, Action.RUN_PROGRESS, ts=ts, extra={"progress": [level]})

    def pause(self, index: int, reason: str) -> str:
        """Pause run ``index`` (its workers stop); its id."""
        run = self.runs[index]
        run.paused = True
        self._emit(run, Action.RUN_PAUSED, ts=format_ts(utc_now()), extra={"reason": reason})
        return run.run_id

    def resume(self, index: int) -> None:
        """Resume run ``index``."""
        run = self.runs[index]
        run.paused = False
        self._emit(run, Action.RUN_RESUMED, ts=format_ts(utc_now()))
        for worker in run.workers:
            worker.next_at = max(worker.next_at, self.now)


async def feed(runs: SyntheticRuns, stop: asyncio.Event) -> None:
    """Fold the runs' events in real time until ``stop`` is set."""
    last = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(FEED_STEP_S)
        now = time.monotonic()
        runs.advance(now - last)
        last = now
