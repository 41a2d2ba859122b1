"""Latency from a condition becoming true to the webhook receiving the notification
(bench/alert_eval.py's second part)."""

from __future__ import annotations

import asyncio
import random
import re
import time
from typing import Any

from alert_rule_mix import TRIGGER, TRIGGER_FOR_S, book_of, trigger_rules
from alert_runs import SyntheticRuns
from crawlscope.alerts.evaluator import AlertEvaluator
from crawlscope.alerts.model import Grouping
from webhook_receiver import Receiver

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
    book = book_of(rules + trigger_rules(tag), receiver.url, grouping, builtins=True)
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
