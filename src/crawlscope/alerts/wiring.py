"""Alerting put together for a server: the evaluator's sources (frames, system figures,
schedules, past runs), the notifier recording into the store, actions through the run
manager.

Kept apart from ``api.services`` so a process without the web server (a future
``crawlscope alerts`` worker) can run alerting the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from crawlscope.alerts.actions import RunActions
from crawlscope.alerts.evaluator import AlertEvaluator
from crawlscope.alerts.notifier import Notifier
from crawlscope.alerts.rulebook import RuleBook
from crawlscope.alerts.service import AlertService
from crawlscope.events import ActivityEvent
from crawlscope.frame_source import FrameSource
from crawlscope.manager import RunManager
from crawlscope.status import RunStatus
from crawlscope.store.repositories import Store
from crawlscope.system_sampler import SystemSampler

__all__ = ["build_alert_service"]


def _past_pace(store: Store) -> Callable[[str], Any]:
    async def pace(collection: str) -> float | None:
        """Items per minute of the collection's last completed runs (None if none)."""
        records = await store.runs.list(status=RunStatus.COMPLETED, limit=100)
        paces = []
        for record in records:
            summary = record.summary()
            if record.collection != collection or not summary.duration_s:
                continue
            if summary.duration_s < 60 or record.totals.items_found <= 0:
                continue
            paces.append(record.totals.items_found * 60.0 / summary.duration_s)
            if len(paces) == 5:
                break
        return sum(paces) / len(paces) if paces else None

    return pace


def build_alert_service(
    *,
    store: Store,
    frames: FrameSource,
    manager: RunManager,
    emit: Callable[[ActivityEvent], None],
    schedules: Callable[[], Any] | None,
    system: SystemSampler | None,
    rule_files: Sequence[Path],
    builtins_on: bool,
    interval_s: float,
    history_days: float = 90.0,
) -> AlertService:
    """An ``AlertService`` over the server's parts (not started)."""
    alerts = store.alerts
    evaluator = AlertEvaluator(
        frames,
        RuleBook(),
        notifier=Notifier(record=alerts.record_delivery),
        sink=alerts,
        actions=RunActions(manager, frames, emit),
        system=system,
        schedules=schedules,
        past_pace=_past_pace(store),
        interval_s=interval_s,
    )
    return AlertService(
        evaluator,
        alerts,
        rule_files=rule_files,
        builtins_on=builtins_on,
        history_days=history_days,
    )
