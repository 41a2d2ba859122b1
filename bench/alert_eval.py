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
import statistics
import time
from dataclasses import dataclass
from typing import Any

from _common import fresh_db_path, median_of, report
from alert_latency import trigger_latency
from alert_rule_mix import SUBJECTS_ONLY, WINDOWS_ONLY, book_of, user_rules
from alert_runs import SyntheticRuns, feed
from crawlscope.aggregate import Aggregator
from crawlscope.alerts.evaluator import AlertEvaluator
from crawlscope.alerts.model import Grouping
from crawlscope.alerts.notifier import Notifier
from crawlscope.alerts.rulebook import RuleBook
from crawlscope.frame_source import LocalFrames
from crawlscope.store.sql_store import SqlStore
from webhook_receiver import Receiver

SIDES = ("feed only", "subjects only", "built-ins", "100 rules")


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
        "subjects only": book_of(SUBJECTS_ONLY, hook, grouping, builtins=False),
        "built-ins": book_of([], hook, grouping, builtins=True),
        "100 rules": book_of(user_rules(args.rules, args.seed), hook, grouping, builtins=True),
    }
    windows_only = book_of(WINDOWS_ONLY, hook, grouping, builtins=False)
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
