"""Alerts: what evaluating 100 rules over 50 active runs every second costs, and how long
it takes from a condition becoming true to a webhook receiving the notification.

Both parts run the real pieces in one process: an ``Aggregator`` holding ``--runs`` active
runs (``--workers`` workers, 2 or 3 sites each) fed with synthetic ``ActivityEvent`` s at a
steady rate (each worker finishes a task every ``--task-s`` seconds on average:
``fetching``, then ``found`` or ``error``, ``uploading`` with items, ``complete``; run
progress every 5 s; of 50 runs, two with nearly half their requests failing, two finding
no items, five with a slow site, three with a circuit breaker open, a quarter with data
quality counts), a ``LocalFrames`` over it (its run repository and
the alerts' sink are a real ``SqlStore`` on a temporary SQLite file), and an
``AlertEvaluator`` with rules built by ``parse_rule`` and ``build_rulebook``. Channels are
``json://`` URLs of a webhook receiver (aiohttp on 127.0.0.1, in its own thread), so what
fires is really sent through the notifier (Apprise in worker threads).

**Cost.** Four sides, measured in segments of ``--ticks`` one-second ticks (the
evaluator's own loop timing), rotating the order each round while the feeder keeps
folding events at the same rate:

* ``feed only``: no evaluation (the baseline: what folding the events costs);
* ``subjects only``: one run, one site and one worker rule, each scoped to a collection
  that does not exist, so each tick renders every frame and builds every subject's
  variables and CEL context but evaluates nothing;
* ``built-ins``: the built-in rules;
* ``100 rules``: the built-ins plus ``--rules`` rules (a mix of run rules over windowed
  variables, site rules and worker rules, some scoped to a collection).

Before measuring, each evaluator is fast-forwarded through ``--history`` seconds of the
runs' life (a second of events, then a tick, on a clock it is given), so its windows hold
as many readings as after a quarter of an hour and its alerts have settled (the last 6
minutes of that with its real rules, so alerts with ``for`` up to 5 minutes fire). The
share of a core is a segment's process CPU (every thread: aiosqlite's, Apprise's) per
second of wall time; a side's evaluation cost is that minus the ``feed only`` segment of
the same round. Per tick, the main thread's CPU inside ``tick()`` is reported too.

**Latency.** The ``100 rules`` evaluator (its loop started with ``AlertEvaluator.start``,
interval 1 s) gets two more rules on the same condition, ``run.paused_reason == 'bench
trigger'``, one with ``for: 0`` and one with ``for: 5s``. ``--triggers`` times, on a
different run each time and at a random moment (so the flip falls anywhere within a
tick), a ``run_paused`` event with that reason is folded and ``time.monotonic()`` taken;
the receiver notes ``time.monotonic()`` when each notification arrives. The figure is
arrival minus flip minus ``for``. Grouping is by ``rule`` and ``run_id`` (so every trigger
starts a new group: the case ``group_wait`` applies to) with the default group interval
and repeat interval, measured with ``group_wait`` at its default (10 s) and at 0.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from _common import fresh_db_path, median_of, report
from crawlscope.aggregate import Aggregator
from crawlscope.alerts.channels import parse_channel
from crawlscope.alerts.evaluator import AlertEvaluator
from crawlscope.alerts.model import Grouping, Rule
from crawlscope.alerts.notifier import Notifier
from crawlscope.alerts.parsing import parse_rule
from crawlscope.alerts.rule_files import RuleFile
from crawlscope.alerts.rulebook import RuleBook, build_rulebook
from crawlscope.events import Action, ActivityEvent, ErrorType
from crawlscope.frame_source import LocalFrames
from crawlscope.store.sql_store import SqlStore
from crawlscope.timestamps import format_ts, utc_now

COLLECTIONS = ("shop", "news", "jobs", "books", "travel")
FEED_STEP_S = 0.05
"""How often the feeder folds the events that fell due (real time)."""
SIDES = ("feed only", "subjects only", "built-ins", "100 rules")
TRIGGER = "bench trigger"
TRIGGER_FOR_S = 5.0


# -- synthetic runs -------------------------------------------------------------------------


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


# -- rules ----------------------------------------------------------------------------------

_RUN_RULES = (
    ("run.error_ratio_5m > {r} and run.requests_5m >= {n}", "{{ run.error_ratio_5m }} failed"),
    ("run.error_ratio_1m > {r} or run.failures_15m > {big}", "{{ run.failures_15m }} failures"),
    ("run.status == 'running' and run.items_per_min_5m < {ipm}", "{{ run.items_per_min_5m }}/min"),
    ("run.p95_ms_5m > {ms}", "p95 {{ run.p95_ms_5m }} ms"),
    ("run.p95_ms_15m > {ms} and run.requests_15m > {n}", "p95 {{ run.p95_ms_15m }} ms"),
    ("run.requests_per_s_1m < {rps} and run.duration_s > 60.0", "{{ run.requests_per_s_1m }}/s"),
    ("run.seconds_since_item > {s}", "no item for {{ run.seconds_since_item }} s"),
    ("run.workers_busy < {w} and run.status == 'running'", "{{ run.workers_busy }} busy"),
    ("run.progress_percent < 50.0 and run.eta_s > {eta}", "eta {{ run.eta_s }} s"),
    ("run.retries > {n} or run.tasks_failed > {big}", "{{ run.tasks_failed }} tasks failed"),
    (
        "run.items_checked >= {n} and run.validation_error_ratio > 0.01",
        "{{ run.validation_error_ratio }} invalid",
    ),
    (
        "run.items_checked >= {n} and run.coverage['price'] < {cov}",
        "price coverage fell ({{ run.items_checked }} checked)",
    ),
    ("run.breakers_open > 0 and run.successes_5m < {n}", "{{ run.breakers_open }} breakers"),
    ("run.failures_1m >= {n} and run.error_ratio_15m > {r}", "{{ run.failures_1m }} failures"),
)
_SITE_RULES = (
    ("site.error_ratio > {r} and site.requests >= {n}", "{{ site.name }}: {{ site.error_ratio }}"),
    ("site.p95_ms > {ms}", "{{ site.name }} p95 {{ site.p95_ms }} ms"),
    ("site.breaker == 'half_open'", "{{ site.name }} half open"),
    ("site.failures > {big} and run.status == 'running'", "{{ site.name }}: {{ site.failures }}"),
)
_WORKER_RULES = (
    ("worker.state == 'backing_off' and worker.state_s > {s}", "worker {{ worker.id }} backs off"),
    (
        "worker.state_s > {s} and worker.state != 'idle'",
        "worker {{ worker.id }} {{ worker.state }}",
    ),
    ("worker.tasks_done == 0 and run.duration_s > {s}", "worker {{ worker.id }} did nothing"),
    ("worker.median_task_s > {mt}", "worker {{ worker.id }}: {{ worker.median_task_s }} s/task"),
)


def user_rules(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` rules: 60 % run rules, 25 % site rules, 15 % worker rules, thresholds
    varied, a third scoped to one collection, ``for`` between 0 and 5 minutes."""
    rng = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for index in range(count):
        share = index / count
        if share < 0.6:
            condition, summary = _RUN_RULES[index % len(_RUN_RULES)]
        elif share < 0.85:
            condition, summary = _SITE_RULES[index % len(_SITE_RULES)]
        else:
            condition, summary = _WORKER_RULES[index % len(_WORKER_RULES)]
        values = {
            "r": f"{rng.choice([0.1, 0.2, 0.3, 0.5]):.2f}",
            "n": rng.choice([10, 20, 50, 100]),
            "big": rng.choice([100, 500, 2000]),
            "ipm": f"{rng.choice([1.0, 10.0, 60.0]):.1f}",
            "ms": f"{rng.choice([2000.0, 3000.0, 5000.0]):.1f}",
            "rps": f"{rng.choice([0.5, 1.0, 3.0]):.1f}",
            "s": f"{rng.choice([30.0, 60.0, 120.0, 600.0]):.1f}",
            "w": rng.choice([1, 2, 4]),
            "eta": f"{rng.choice([3600.0, 86400.0]):.1f}",
            "cov": f"{rng.choice([0.9, 0.95]):.2f}",
            "mt": f"{rng.choice([1.0, 2.0, 5.0]):.1f}",
        }
        rule: dict[str, Any] = {
            "name": f"rule-{index:03d}",
            "condition": condition.format(**values),
            "for": rng.choice(["0s", "30s", "1m", "2m", "5m"]),
            "severity": rng.choice(["info", "warning", "warning", "critical"]),
            "labels": {"team": rng.choice(["data", "ops"])},
            "summary": "{{ run.collection }} " + summary,
        }
        if index % 3 == 0:
            rule["scope"] = {"collection": COLLECTIONS[index % len(COLLECTIONS)]}
        rules.append(rule)
    return rules


def _book(
    rules: list[dict[str, Any]], hook_url: str, grouping: Grouping, *, builtins: bool
) -> RuleBook:
    parsed: list[Rule] = [parse_rule(data, source="bench") for data in rules]
    files = RuleFile(
        rules=parsed,
        channels={"hook": parse_channel("hook", hook_url)},
        default_channels=("hook",),
        grouping=grouping,
    )
    return build_rulebook(files, builtins_on=builtins)


NOWHERE = "no-such-collection"
SUBJECTS_ONLY = [
    {"name": "only-runs", "condition": "run.requests < 0", "scope": {"collection": NOWHERE}},
    {"name": "only-sites", "condition": "site.requests < 0", "scope": {"collection": NOWHERE}},
    {"name": "only-workers", "condition": "worker.id < 0", "scope": {"collection": NOWHERE}},
]
WINDOWS_ONLY = SUBJECTS_ONLY[:1]


def trigger_rules(tag: str) -> list[dict[str, Any]]:
    """The latency rules: the same condition with ``for: 0`` and ``for: 5s``."""
    condition = f"run.paused_reason == '{TRIGGER}'"
    summary = "bench trigger on {{ run.id }}"
    # Critical, so no firing alert of the run can inhibit them.
    common = {"condition": condition, "summary": summary, "severity": "critical"}
    return [
        {"name": f"trigger-0s-{tag}", **common},
        {"name": f"trigger-5s-{tag}", "for": f"{TRIGGER_FOR_S:g}s", **common},
    ]


# -- the webhook receiver -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float
    """``time.monotonic()`` when the request arrived."""
    title: str
    message: str


class Receiver:
    """A JSON webhook on 127.0.0.1 in a thread of its own (its own event loop), noting
    when each notification arrives."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.port = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="webhook", daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def since(self, index: int) -> list[Arrival]:
        with self._lock:
            return self.arrivals[index:]

    def __len__(self) -> int:
        with self._lock:
            return len(self.arrivals)

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        body = await request.json()
        with self._lock:
            self.arrivals.append(Arrival(at, str(body.get("title")), str(body.get("message"))))
        return web.json_response({"ok": True})

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def _run(self) -> None:
        asyncio.run(self._serve())

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


# -- cost -----------------------------------------------------------------------------------


class Clock:
    """``time.monotonic()`` plus an offset: fast-forwarding sets the time outright."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def set(self, value: float) -> None:
        self.offset = value - time.monotonic()


def system_probe() -> dict[str, Any]:
    return {"cpu_percent": 35.0, "memory_percent": 40.0, "disk_percent": 50.0}


async def fast_forward(
    runs: SyntheticRuns,
    evaluators: list[tuple[AlertEvaluator, RuleBook]],
    clock: Clock,
    seconds: int,
    with_rules_s: int,
) -> None:
    """``seconds`` of the runs' life, a tick of each evaluator after each second: the
    first with a book that only keeps windows, the last ``with_rules_s`` with its own."""
    start = time.monotonic() - seconds
    real = {id(evaluator): book for evaluator, book in evaluators}
    for second in range(seconds):
        if second == max(0, seconds - with_rules_s):
            for evaluator, _ in evaluators:
                evaluator.use(real[id(evaluator)])
        runs.advance(1.0)
        clock.set(start + second)
        for evaluator, _ in evaluators:
            await evaluator.tick()
        if second % 50 == 0:
            await asyncio.sleep(0)  # let notifications and saves go
    clock.offset = 0.0


@dataclass(slots=True)
class Segment:
    side: str
    wall_s: float
    cpu_s: float
    tick_cpu_ms: list[float]
    tick_wall_ms: list[float]
    changes: int
    events: int


async def segment(
    side: str, evaluator: AlertEvaluator | None, runs: SyntheticRuns, ticks: int
) -> Segment:
    """``ticks`` seconds with ``evaluator`` ticking as its own loop does (or none)."""
    loop = asyncio.get_running_loop()
    tick_cpu: list[float] = []
    tick_wall: list[float] = []
    changes = 0
    events0 = runs.events
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    next_at = loop.time()
    for _ in range(ticks):
        if evaluator is not None:
            t0, p0 = time.thread_time(), time.perf_counter()
            changes += len(await evaluator.tick())
            tick_cpu.append((time.thread_time() - t0) * 1000)
            tick_wall.append((time.perf_counter() - p0) * 1000)
        next_at += 1.0
        await asyncio.sleep(max(0.0, next_at - loop.time()))
    return Segment(
        side,
        time.perf_counter() - w0,
        time.process_time() - c0,
        tick_cpu,
        tick_wall,
        changes,
        runs.events - events0,
    )


def _subject_counts(evaluator: AlertEvaluator, runs: SyntheticRuns) -> dict[str, int]:
    sites = sum(len(run.sites) for run in runs.runs)
    workers = sum(len(run.workers) for run in runs.runs)
    evaluations = 0
    for compiled in evaluator.book.enabled:
        status = evaluator.status.get(compiled.rule.name)
        evaluations += status.subjects if status else 0
    return {
        "runs": len(runs.runs),
        "sites": sites,
        "workers": workers,
        "rules": len(evaluator.book.enabled),
        "evaluations_per_tick": evaluations,
        "open_alerts": len(evaluator.tracker.open),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    receiver = Receiver()
    receiver.start()
    store = SqlStore(fresh_db_path("alerts"), event_writer="inline")
    await store.open()
    aggregator = Aggregator()
    runs = SyntheticRuns(aggregator, args.runs, args.workers, args.task_s, args.seed)
    runs.start()
    frames = LocalFrames(aggregator, store.runs)
    clock = Clock()
    grouping = Grouping()
    hook = receiver.url
    books = {
        "subjects only": _book(SUBJECTS_ONLY, hook, grouping, builtins=False),
        "built-ins": _book([], hook, grouping, builtins=True),
        "100 rules": _book(user_rules(args.rules, args.seed), hook, grouping, builtins=True),
    }
    windows_only = _book(WINDOWS_ONLY, hook, grouping, builtins=False)
    evaluators = {
        side: AlertEvaluator(
            frames,
            windows_only,
            notifier=Notifier(),
            sink=store.alerts,
            system=system_probe,
            interval_s=1.0,
            clock=clock,
        )
        for side in books
    }
    began = time.perf_counter()
    await fast_forward(
        runs,
        [(evaluators[side], books[side]) for side in books],
        clock,
        args.history,
        min(args.history, 360),
    )
    print(
        f"fast-forwarded {args.history} s of history in {time.perf_counter() - began:.0f} s "
        f"({runs.events:,} events so far)",
        flush=True,
    )
    stop = asyncio.Event()
    feeder = asyncio.create_task(feed(runs, stop))
    # Let the fast-forward's notifications and saves finish before measuring.
    for evaluator in evaluators.values():
        for _ in range(3):
            await evaluator.tick()
    await asyncio.sleep(2.0)

    sent0 = len(receiver)
    segments: list[Segment] = []
    for round_ in range(args.rounds):
        order = SIDES[round_ % len(SIDES) :] + SIDES[: round_ % len(SIDES)]
        for side in order:
            result = await segment(side, evaluators.get(side), runs, args.ticks)
            segments.append(result)
            tick = (
                f", tick {median_of(result.tick_cpu_ms):.1f} ms CPU" if result.tick_cpu_ms else ""
            )
            print(
                f"  round {round_ + 1} {side:<13} {result.cpu_s / result.wall_s:.3f} cores"
                f"{tick}, {result.events / result.wall_s:,.0f} events/s",
                flush=True,
            )
    counts = {side: _subject_counts(evaluators[side], runs) for side in books}
    notifications = len(receiver) - sent0

    latency: dict[str, Any] = {}
    if args.triggers:
        full = evaluators["100 rules"]
        rules = user_rules(args.rules, args.seed)
        for group_wait in (10.0, 0.0):
            latency[f"group_wait {group_wait:g} s"] = await trigger_latency(
                full, runs, receiver, rules, group_wait, args.triggers, args.seed
            )
        await full.stop()
    stop.set()
    await feeder
    for side, evaluator in evaluators.items():
        if side != "100 rules" or not args.triggers:
            await evaluator.notifier.aclose()
    await store.close()
    receiver.stop()
    return {
        "segments": [
            {
                "side": s.side,
                "wall_s": s.wall_s,
                "cpu_s": s.cpu_s,
                "tick_cpu_ms": s.tick_cpu_ms,
                "tick_wall_ms": s.tick_wall_ms,
                "changes": s.changes,
                "events": s.events,
            }
            for s in segments
        ],
        "counts": counts,
        "notifications_while_measuring": notifications,
        "latency": latency,
    }


# -- latency --------------------------------------------------------------------------------

_RUN_ID = re.compile(r"bench trigger on (bench-run-\d+)")


async def trigger_latency(
    evaluator: AlertEvaluator,
    runs: SyntheticRuns,
    receiver: Receiver,
    rules: list[dict[str, Any]],
    group_wait: float,
    triggers: int,
    seed: int,
) -> dict[str, Any]:
    """Flip ``triggers`` runs' condition at random moments; per trigger rule, arrival
    minus flip minus ``for`` (seconds)."""
    tag = f"gw{group_wait:g}"
    grouping = Grouping(by=("rule", "run_id"), group_wait_s=group_wait)
    book = _book(rules + trigger_rules(tag), receiver.url, grouping, builtins=True)
    evaluator.use(book)
    evaluator.start()  # its own loop, every second (a no-op once started)
    rng = random.Random(seed + int(group_wait))
    first = len(receiver)
    flips: dict[str, tuple[int, float]] = {}
    count = min(triggers, len(runs.runs))
    for index in range(count):
        await asyncio.sleep(rng.uniform(1.5, 2.5))
        run_id = runs.pause(index, TRIGGER)
        flips[run_id] = (index, time.monotonic())
    wanted = {f"trigger-0s-{tag}": 0.0, f"trigger-5s-{tag}": TRIGGER_FOR_S}
    deadline = time.monotonic() + TRIGGER_FOR_S + group_wait + 30.0
    seen: dict[tuple[str, str], float] = {}
    resumed: set[str] = set()
    while time.monotonic() < deadline and len(seen) < count * len(wanted):
        await asyncio.sleep(0.1)
        for arrival in receiver.since(first):
            match = _RUN_ID.search(arrival.message)
            if not match or not arrival.title.startswith("[FIRING"):
                continue
            for rule in wanted:
                if arrival.title.endswith(rule):
                    seen.setdefault((rule, match.group(1)), arrival.at)
        for run_id, (index, _) in flips.items():
            if run_id not in resumed and all((rule, run_id) in seen for rule in wanted):
                runs.resume(index)
                resumed.add(run_id)
    for run_id, (index, _) in flips.items():
        if run_id not in resumed:
            runs.resume(index)
    result: dict[str, Any] = {}
    for rule, for_s in wanted.items():
        delays = [
            seen[(rule, run_id)] - at - for_s
            for run_id, (_, at) in flips.items()
            if (rule, run_id) in seen
        ]
        result[f"for {for_s:g} s"] = {
            "triggers": count,
            "received": len(delays),
            "seconds_over_for": delays,
        }
    # Let the resolved notices go before the next setting.
    await asyncio.sleep(1.0)
    return result


def _p(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8, help="workers per run")
    parser.add_argument("--task-s", type=float, default=2.0, help="mean seconds per task")
    parser.add_argument("--rules", type=int, default=100, help="rules besides the built-ins")
    parser.add_argument("--ticks", type=int, default=30, help="one-second ticks per segment")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--history", type=int, default=900, help="seconds fast-forwarded")
    parser.add_argument("--triggers", type=int, default=40, help="per grouping (0: skip)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    data = asyncio.run(measure(args))

    segments = data["segments"]
    share: dict[str, list[float]] = {side: [] for side in SIDES}
    over_feed: dict[str, list[float]] = {side: [] for side in SIDES}
    per_round = len(SIDES)
    for start in range(0, len(segments), per_round):
        batch = {s["side"]: s for s in segments[start : start + per_round]}
        feed_cores = batch["feed only"]["cpu_s"] / batch["feed only"]["wall_s"]
        for side, s in batch.items():
            cores = s["cpu_s"] / s["wall_s"]
            share[side].append(cores)
            over_feed[side].append(cores - feed_cores)
    tick_cpu = {
        side: [ms for s in segments if s["side"] == side for ms in s["tick_cpu_ms"]]
        for side in SIDES
    }
    counts = data["counts"]
    full = counts["100 rules"]
    rows = [
        (
            "runs / sites / workers",
            f"{full['runs']} / {full['sites']} / {full['workers']}, "
            f"{median_of([s['events'] / s['wall_s'] for s in segments]):,.0f} events/s folded",
        ),
        (
            "rules (100 rules side) / evaluations per tick",
            f"{full['rules']} / {full['evaluations_per_tick']:,}, "
            f"{full['open_alerts']} alerts open",
        ),
    ]
    for side in SIDES:
        cores = median_of(share[side])
        text = f"{cores:.3f} cores"
        if side != "feed only":
            extra = median_of(over_feed[side])
            cpu = tick_cpu[side]
            text += (
                f", evaluation {extra * 100:.1f} % of a core (per round "
                + ", ".join(f"{v * 100:.1f}" for v in over_feed[side])
                + f"); tick CPU median {median_of(cpu):.1f} ms, p95 {_p(cpu, 0.95):.1f} ms"
            )
        rows.append((side, text))
    base_tick = median_of(tick_cpu["subjects only"])
    ratio_builtins = median_of(tick_cpu["100 rules"]) / median_of(tick_cpu["built-ins"])
    rows.append(
        (
            "tick CPU: 100 rules / built-ins, / subjects only",
            f"{ratio_builtins:.2f}, {median_of(tick_cpu['100 rules']) / base_tick:.2f}",
        )
    )
    eval_share = median_of(over_feed["100 rules"])
    tick_share = median_of(tick_cpu["100 rules"]) / 1000.0
    rows.append(
        (
            "100 rules at 1 s: share of one core (target < 5 %)",
            f"{eval_share * 100:.1f} % (process CPU over feed only), "
            f"{tick_share * 100:.1f} % (tick CPU)",
        )
    )
    summary: dict[str, Any] = {
        "share_of_core": eval_share,
        "tick_share_of_core": tick_share,
        "ratio_tick_builtins": ratio_builtins,
    }
    for setting, rules in data["latency"].items():
        for name, figures in rules.items():
            delays = figures["seconds_over_for"]
            label = f"latency - for, {setting}, rule {name}"
            if not delays:
                rows.append((label, f"nothing received of {figures['triggers']}"))
                continue
            p50, p95 = median_of(delays), _p(delays, 0.95)
            rows.append(
                (
                    label,
                    f"p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(delays):.2f} s "
                    f"({figures['received']} of {figures['triggers']} received)",
                )
            )
            key = "latency_p95_gw0" if setting.endswith(" 0 s") else "latency_p95_gw10"
            summary[key] = max(summary.get(key, 0.0), p95)
    report(
        "alert_eval",
        rows,
        {"args": vars(args), **summary, "counts": counts, **data},
    )


if __name__ == "__main__":
    main()
