"""The values of the variables (``alerts.variables``) for one run, site, worker, schedule
or the system: pure functions of frames, window readings and the clock.

The evaluator calls these once per subject per tick and hands the result to every rule
of that subject as one prepared CEL context, so 100 rules cost 100 cheap evaluations,
not 100 conversions.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crawlscope.aggregate.frames import RunFrame, SiteCard, WorkerCard
from crawlscope.alerts.builtin import STALL_FACTOR, STALL_MIN_S
from crawlscope.alerts.variables import WINDOWS
from crawlscope.alerts.windows import RunWindows
from crawlscope.status import RunStatus
from crawlscope.timestamps import parse_ts

__all__ = [
    "WorkerHistory",
    "run_variables",
    "schedule_variables",
    "site_variables",
    "worker_variables",
    "yield_drop",
]

_BUSY = frozenset({"requesting", "processing", "backing_off", "rate_limited", "error"})


def _age(ts: str | None, now: datetime) -> float:
    if not ts:
        return 0.0
    try:
        return max(0.0, (now - parse_ts(ts)).total_seconds())
    except ValueError:
        return 0.0


@dataclass(slots=True)
class WorkerHistory:
    """Recent task durations of one worker, seen as its card's ``tasks_done`` grows."""

    tasks_seen: int = 0
    durations_s: deque[float] = field(default_factory=lambda: deque(maxlen=31))

    def observe(self, card: WorkerCard) -> None:
        """Note the card's last task time if it finished a task since the last look."""
        if card.tasks_done > self.tasks_seen and card.last_task_ms is not None:
            self.durations_s.append(card.last_task_ms / 1000.0)
        self.tasks_seen = card.tasks_done

    @property
    def median_s(self) -> float:
        """Median of the recent task durations (0 if none yet)."""
        return statistics.median(self.durations_s) if self.durations_s else 0.0


def is_stalled(card: WorkerCard, state_s: float, median_s: float) -> bool:
    """Busy in one state for ``STALL_FACTOR`` times its median task time, and at least
    ``STALL_MIN_S`` (docs/alerts.md, "Stalled workers")."""
    return card.state in _BUSY and state_s >= max(STALL_MIN_S, STALL_FACTOR * median_s)


def worker_variables(
    card: WorkerCard, history: WorkerHistory | None, now: datetime
) -> dict[str, Any]:
    """``worker.*`` for one card."""
    state_s = _age(card.state_since, now)
    median_s = history.median_s if history is not None else 0.0
    return {
        "id": card.worker_id,
        "state": card.state,
        "state_s": round(state_s, 1),
        "median_task_s": round(median_s, 3),
        "stalled": is_stalled(card, state_s, median_s),
        "tasks_done": card.tasks_done,
        "site": card.site or "",
    }


def site_variables(card: SiteCard, now: datetime) -> dict[str, Any]:
    """``site.*`` for one site of a run."""
    open_s = _age(card.breaker_since, now) if card.breaker != "closed" else 0.0
    return {
        "name": card.site,
        "breaker": card.breaker,
        "breaker_open_s": round(open_s, 1),
        "requests": card.requests,
        "failures": card.failures,
        "error_ratio": card.failures / card.requests if card.requests else 0.0,
        "p95_ms": card.p95_ms,
    }


def yield_drop(recent_per_min: float, baseline_per_min: float) -> float:
    """How far ``recent`` fell below ``baseline``, 0..1 (0 without a baseline)."""
    if baseline_per_min <= 0:
        return 0.0
    return max(0.0, min(1.0, 1.0 - recent_per_min / baseline_per_min))


def _baseline(windows: RunWindows, past_items_per_min: float | None) -> float:
    """The run's pace before the last 5 minutes (over at least 2 minutes and 10 items),
    else the collection's past runs' pace, else 0."""
    earlier = windows.before(300.0)
    if earlier.seconds >= 120.0 and earlier.items >= 10:
        return earlier.items_per_min
    return past_items_per_min or 0.0


def run_variables(
    frame: RunFrame,
    windows: RunWindows,
    stalled_workers: int,
    now: datetime,
    *,
    schedule: str = "",
    past_items_per_min: float | None = None,
    quality: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``run.*`` for one run."""
    totals = frame.totals
    status = RunStatus(frame.status)
    values: dict[str, Any] = {
        "id": frame.run_id,
        "collection": frame.collection or "",
        "schedule": schedule,
        "status": status.value,
        "ended": status.terminal,
        "finish_reason": frame.finish_reason or "",
        "paused_reason": frame.paused_reason or "" if status is RunStatus.PAUSED else "",
        "auto_paused": status is RunStatus.PAUSED and frame.auto_paused,
        "phase": frame.phase or "",
        "duration_s": float(frame.duration_s or 0.0),
        "requests": totals.requests,
        "successes": totals.successes,
        "failures": totals.failures,
        "errors": totals.errors,
        "retries": totals.retries,
        "items": totals.items_found,
        "new_items": totals.new_items,
        "tasks_done": totals.tasks_done,
        "tasks_failed": totals.tasks_failed,
        "error_ratio": totals.failures / totals.requests if totals.requests else 0.0,
    }
    for suffix, seconds in WINDOWS:
        counts = windows.over(seconds)
        values[f"requests_{suffix}"] = counts.requests
        values[f"successes_{suffix}"] = counts.successes
        values[f"failures_{suffix}"] = counts.failures
        values[f"error_ratio_{suffix}"] = round(counts.error_ratio, 4)
        values[f"requests_per_s_{suffix}"] = round(counts.requests_per_s, 3)
        values[f"items_per_min_{suffix}"] = round(counts.items_per_min, 2)
        values[f"p95_ms_{suffix}"] = counts.p95_ms
    latest = windows.readings[-1].at if windows.readings else 0.0
    since_item = windows.last_item_at if windows.last_item_at is not None else windows.started_at
    values["seconds_since_item"] = round(
        max(0.0, latest - since_item) if since_item is not None else 0.0, 1
    )
    values["seconds_since_event"] = round(windows.seconds_since_event, 1)
    baseline = _baseline(windows, past_items_per_min)
    values["baseline_items_per_min"] = round(baseline, 2)
    values["yield_drop"] = round(yield_drop(values["items_per_min_5m"], baseline), 3)
    workers = frame.workers
    values["workers"] = len(workers)
    values["workers_busy"] = sum(1 for card in workers if card.state in _BUSY)
    values["workers_waiting"] = sum(1 for card in workers if card.state == "waiting")
    values["workers_stalled"] = stalled_workers
    values["breakers_open"] = sum(1 for site in frame.sites if site.breaker != "closed")
    deepest = frame.progress[-1] if frame.progress else None
    values["progress_percent"] = float(deepest.percent) if deepest else 0.0
    values["eta_s"] = float(frame.eta_s) if frame.eta_s is not None else -1.0
    checked = int((quality or {}).get("checked", 0))
    invalid = int((quality or {}).get("invalid", 0))
    values["items_checked"] = checked
    values["validation_errors"] = invalid
    values["validation_error_ratio"] = invalid / checked if checked else 0.0
    values["coverage"] = dict((quality or {}).get("coverage", {}))
    return values


def schedule_variables(view: Any, now: datetime) -> dict[str, Any]:
    """``schedule.*`` for one ``ScheduleView``."""
    last = view.last_run
    started = last.claimed_at if last is not None else view.created_at
    interval = view.interval_s
    if interval is None:
        slots = [slot.slot_at for slot in view.slots[:2]]
        interval = (slots[0] - slots[1]).total_seconds() if len(slots) == 2 else 0.0
    return {
        "name": view.name,
        "collection": view.collection,
        "enabled": bool(view.enabled),
        "interval_s": float(interval or 0.0),
        "seconds_since_last_run": round(max(0.0, (now - started).total_seconds()), 1),
        "last_status": (last.run_status.value if last and last.run_status else ""),
    }
