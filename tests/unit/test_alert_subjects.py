"""The variables of runs, sites and workers, computed from frames as the evaluator does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cel
import pytest

from crawlscope.aggregate.frames import (
    FieldQuality,
    QualityCard,
    RunFrame,
    RunTotals,
    SiteCard,
    WorkerCard,
)
from crawlscope.alerts.builtin import STALL_MIN_S
from crawlscope.alerts.rule_files import builtin_rules
from crawlscope.alerts.rulebook import build_rulebook
from crawlscope.alerts.subject_source import quality_values
from crawlscope.alerts.subjects import (
    WorkerHistory,
    is_stalled,
    run_variables,
    site_variables,
    worker_variables,
)
from crawlscope.alerts.variables import VARIABLES
from crawlscope.alerts.windows import Reading, RunWindows
from crawlscope.status import RunStatus
from crawlscope.timestamps import format_ts

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _ago(seconds: float) -> str:
    return format_ts(NOW - timedelta(seconds=seconds))


def _history(*task_s: float) -> WorkerHistory:
    history = WorkerHistory()
    for n, seconds in enumerate(task_s, start=1):
        history.observe(
            WorkerCard(worker_id=1, state="idle", tasks_done=n, last_task_ms=seconds * 1000)
        )
    return history


def test_a_worker_is_stalled_after_five_median_task_times_and_the_minimum() -> None:
    history = _history(10, 12, 11)  # median 11 s: stalled after 55 s busy
    busy = WorkerCard(worker_id=1, state="requesting", state_since=_ago(60))
    assert worker_variables(busy, history, NOW)["stalled"]
    early = WorkerCard(worker_id=1, state="requesting", state_since=_ago(50))
    assert not worker_variables(early, history, NOW)["stalled"]
    # Short tasks: the minimum holds.
    quick = _history(0.1, 0.1, 0.1)
    assert not is_stalled(busy, STALL_MIN_S - 1, quick.median_s)
    assert is_stalled(busy, STALL_MIN_S, quick.median_s)
    # Waiting at a site gate, idle or paused is never a stall.
    for state in ("waiting", "idle", "paused", "complete"):
        card = WorkerCard(worker_id=1, state=state, state_since=_ago(3600))
        assert not worker_variables(card, history, NOW)["stalled"]


def test_a_task_seen_twice_is_counted_once() -> None:
    history = WorkerHistory()
    card = WorkerCard(worker_id=1, state="idle", tasks_done=1, last_task_ms=2000)
    history.observe(card)
    history.observe(card)
    assert list(history.durations_s) == [2.0]


def test_site_variables_count_how_long_the_breaker_is_open() -> None:
    card = SiteCard(site="a:80", requests=10, failures=4, breaker="open", breaker_since=_ago(150))
    values = site_variables(card, NOW)
    assert values["breaker_open_s"] == pytest.approx(150, abs=0.1)
    assert values["error_ratio"] == pytest.approx(0.4)
    assert site_variables(SiteCard(site="b"), NOW)["breaker_open_s"] == 0


def _frame(**changes: object) -> RunFrame:
    values: dict[str, object] = {
        "run_id": "r1",
        "collection": "shop",
        "status": RunStatus.RUNNING,
        "totals": RunTotals(requests=100, failures=25, successes=75, items_found=40),
        "workers": [
            WorkerCard(worker_id=1, state="requesting"),
            WorkerCard(worker_id=2, state="waiting"),
        ],
        "sites": [SiteCard(site="a", breaker="open"), SiteCard(site="b")],
    }
    values.update(changes)
    return RunFrame(**values)  # type: ignore[arg-type]


def test_run_variables_have_every_documented_name() -> None:
    windows = RunWindows()
    windows.add(Reading(0.0, 0, 0, 0, 0))
    windows.add(Reading(60.0, 100, 75, 25, 40, events=9))
    quality = QualityCard(
        checked=40, invalid=4, fields=[FieldQuality(field="price", present=30, coverage=0.75)]
    )
    values = run_variables(_frame(), windows, 1, NOW, quality=quality_values(quality))
    assert set(values) == set(VARIABLES["run"])
    assert values["error_ratio"] == pytest.approx(0.25)
    assert values["error_ratio_1m"] == pytest.approx(0.25)
    assert values["items_per_min_1m"] == pytest.approx(40)
    assert values["workers_busy"] == 1
    assert values["workers_waiting"] == 1
    assert values["workers_stalled"] == 1
    assert values["breakers_open"] == 1
    assert values["coverage"] == {"price": 0.75}
    assert values["validation_error_ratio"] == pytest.approx(0.1)
    assert values["auto_paused"] is False
    paused = run_variables(
        _frame(status=RunStatus.PAUSED, paused_reason="5 failures", auto_paused=True),
        windows,
        0,
        NOW,
    )
    assert paused["auto_paused"] is True
    assert paused["paused_reason"] == "5 failures"


def test_the_builtin_conditions_hold_on_the_cases_they_are_for() -> None:
    book = build_rulebook(None)
    windows = RunWindows()
    windows.add(Reading(0.0, 0, 0, 0, 0))
    failed = run_variables(_frame(status=RunStatus.FAILED, finish_reason="boom"), windows, 0, NOW)
    running = run_variables(_frame(), windows, 0, NOW)
    run_failed = book.rules["run_failed"].condition
    assert run_failed.holds(cel.Context({"run": failed, "system": {}})) is True
    assert run_failed.holds(cel.Context({"run": running, "system": {}})) is False
    breaker = book.rules["breaker_open"].condition
    site = site_variables(SiteCard(site="a", breaker="open", breaker_since=_ago(121)), NOW)
    assert breaker.holds(cel.Context({"run": running, "site": site, "system": {}})) is True
    disk = book.rules["disk_full"].condition
    assert disk.holds(cel.Context({"system": {"disk_percent": 95.0}})) is True
    assert {rule.name for rule in builtin_rules()} == set(book.rules)
