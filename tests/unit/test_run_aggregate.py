"""RunAggregate (aggregate/run_aggregate.py): the totals rules of docs/events.md, worker and
site cards, status, progress and ETA, all folded from events."""

from __future__ import annotations

from typing import Any

import pytest

from crawlscope.aggregate import Aggregator, RunAggregate
from crawlscope.events import Action, ActivityEvent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _ev(action: str, worker_id: int = 0, **fields: Any) -> ActivityEvent:
    return ActivityEvent(run_id="r", action=Action(action), worker_id=worker_id, **fields)


def _request(worker: int, outcome: str, **fields: Any) -> list[ActivityEvent]:
    """fetching + one outcome event for ``worker``."""
    site = fields.pop("site", "shop:80")
    return [
        _ev("fetching", worker, site=site, url=f"http://{site}/x", attempt=1),
        _ev(outcome, worker, site=site, **fields),
    ]


def _script() -> list[ActivityEvent]:
    """A small run touching every totals rule."""
    ev: list[ActivityEvent] = [
        _ev("run_started", params={"q": 1}, extra={"collection": "c", "dataset": "d"}),
        _ev("phase_started", phase="p", extra={"workers": 2, "tasks": 5}),
    ]
    # worker 1: a success after a 503 and a retry; a task that yields 3 items
    ev += _request(1, "error", status_code=503, error_type="http_5xx", error_stage="request")
    ev.append(_ev("retrying", 1, error_type="http_5xx", extra={"delay_s": 0.1}))
    ev += _request(1, "found", status_code=200, duration_ms=10.0)
    ev.append(_ev("complete", 1, task="t1", category="A", items_count=3))
    # worker 2: a 429, waits, then success; then a parse error and a final failure
    ev += _request(
        2, "rate_limited", status_code=429, error_type="rate_limit", error_stage="request"
    )
    ev.append(_ev("retrying", 2, error_type="rate_limit"))
    ev += _request(2, "found", status_code=200, duration_ms=30.0)
    ev.append(_ev("error", 2, error_type="parse_error", error_stage="extraction"))
    ev.append(_ev("complete", 2, task="t2", error_type="parse_error", error_stage="extraction"))
    # pipeline: 3 items from worker 1 -> 2 new, 1 duplicate; then 2 more -> 1 updated, 1 dup
    ev += [
        _ev("uploading", source_worker_id=1, items_count=3),
        _ev("inserted", source_worker_id=1, items_count=2, new_count=2),
        _ev("deduped", source_worker_id=1, items_count=1),
        _ev("uploading", source_worker_id=2, items_count=2),
        _ev("updated", source_worker_id=2, items_count=1),
        _ev("deduped", source_worker_id=2, items_count=1),
        _ev("error", source_worker_id=2, error_type="api_error", error_stage="pipeline"),
    ]
    # a streak: worker 1 fails a task, worker 2's failure pauses the run and requeues both
    ev += _request(1, "error", error_type="timeout", error_stage="request")
    ev.append(_ev("complete", 1, task="t3", error_type="timeout", error_stage="request"))
    ev.append(_ev("run_paused", extra={"reason": "2 consecutive task failures", "requeued": 1}))
    ev += _request(2, "error", error_type="connection", error_stage="request")
    ev.append(
        _ev(
            "complete",
            2,
            task="t4",
            error_type="connection",
            error_stage="request",
            extra={"requeued": True},
        )
    )
    ev.append(_ev("run_resumed"))
    ev += _request(1, "found", status_code=200, duration_ms=20.0)
    ev.append(_ev("complete", 1, task="t3", items_count=0))
    ev += [
        _ev("breaker_opened", site="shop:80", extra={"from": "closed", "to": "open"}),
        _ev("phase_completed", phase="p"),
        _ev("run_completed", extra={"dataset_size": 3}),
    ]
    for seq, event in enumerate(ev, 1):
        event.seq = seq
    return ev


def _fold(events: list[ActivityEvent]) -> RunAggregate:
    run = RunAggregate("r", Clock())
    for event in events:
        run.apply(event)
    return run


def test_totals_follow_the_documented_rules(derive_totals: Any) -> None:
    events = _script()
    totals = _fold(events).frame().totals
    expected = {
        "requests": 7,
        "successes": 3,
        "failures": 4,
        "failures_by_type": {"http_5xx": 1, "rate_limit": 1, "timeout": 1, "connection": 1},
        "retries": 2,
        "errors": 6,
        "errors_by_type": {
            "http_5xx": 1,
            "rate_limit": 1,
            "parse_error": 1,
            "api_error": 1,
            "timeout": 1,
            "connection": 1,
        },
        "errors_by_stage": {"request": 4, "extraction": 1, "pipeline": 1},
        "items_found": 5,
        "new_items": 2,
        "updated_items": 1,
        "duplicates": 2,
        "tasks_done": 2,
        # t2 failed for good; t3's failure was requeued by the pause, t4 requeued itself
        "tasks_failed": 1,
        "tasks_requeued": 2,
        "events": len(events),
    }
    import msgspec

    assert msgspec.to_builtins(totals) == expected
    assert derive_totals(events) == expected


def test_worker_cards_credit_pipeline_counts_to_the_producer() -> None:
    frame = _fold(_script()).frame()
    w1, w2 = frame.workers
    assert (w1.worker_id, w1.requests, w1.successes, w1.failures, w1.retries) == (1, 4, 2, 2, 1)
    assert (w1.items, w1.new_items, w1.tasks_done, w1.tasks_failed) == (3, 2, 2, 1)
    assert w1.errors_by_type == {"http_5xx": 1, "timeout": 1}
    assert w1.avg_ms == pytest.approx(15.0)
    assert w1.success_rate == pytest.approx(0.5)
    assert (w2.requests, w2.successes, w2.failures, w2.items, w2.new_items) == (3, 1, 2, 2, 0)
    # Every error counts under its stage, as in the run's totals; the pipeline error is
    # the producer's.
    assert w2.errors_by_stage == {"request": 2, "extraction": 1, "pipeline": 1}
    assert w2.errors == sum(w2.errors_by_stage.values()) == 4
    assert (w2.tasks_done, w2.tasks_failed) == (0, 1)  # t4 was requeued, not failed
    assert w1.categories_done == 1
    assert {w.state for w in frame.workers} == {"complete"}


def test_site_cards_and_error_summaries() -> None:
    frame = _fold(_script()).frame()
    (site,) = frame.sites
    assert (site.site, site.requests, site.successes, site.failures) == ("shop:80", 7, 3, 4)
    assert site.breaker == "open"
    assert site.breaker_since is not None
    assert site.p50_ms == 20.0
    assert site.errors_by_type == {"http_5xx": 1, "rate_limit": 1, "timeout": 1, "connection": 1}
    summaries = {(e.error_type, e.error_stage): e.count for e in frame.errors}
    assert summaries[("api_error", "pipeline")] == 1
    assert summaries[("parse_error", "extraction")] == 1
    assert sum(summaries.values()) == frame.totals.errors


def test_status_and_run_fields_follow_run_events() -> None:
    run = RunAggregate("r", Clock())
    events = _script()
    statuses = []
    for event in events:
        run.apply(event)
        statuses.append(run.status)
    assert statuses[0] == "running"
    paused_at = next(i for i, e in enumerate(events) if e.action == "run_paused")
    assert statuses[paused_at] == "paused"
    assert statuses[-1] == "completed"
    assert run.ended
    frame = run.frame()
    assert (frame.collection, frame.dataset, frame.params) == ("c", "d", {"q": 1})
    assert frame.dataset_size == 3
    assert frame.paused_reason is None  # cleared by resume
    assert frame.ended_at == events[-1].ts
    assert frame.last_seq == len(events)
    assert frame.eta_s == 0.0
    assert frame.throughput.requests_per_s == 0.0


def test_paused_reason_is_kept_while_paused() -> None:
    run = _fold([_ev("run_started"), _ev("run_paused", extra={"reason": "why", "auto": True})])
    assert run.frame().paused_reason == "why"
    assert run.frame().status == "paused"


def test_failed_run_keeps_its_error() -> None:
    run = _fold([_ev("run_started"), _ev("run_failed", error_message="boom")])
    frame = run.frame()
    assert (frame.status, frame.error) == ("failed", "boom")


def test_progress_levels_and_eta_from_recent_pace() -> None:
    clock = Clock()
    run = RunAggregate("r", clock)
    run.apply(_ev("run_started"))

    def progress(done: int, total: int) -> ActivityEvent:
        levels = [
            {"level": "categories", "done": 4, "total": 4},
            {"level": "products", "done": done, "total": total},
        ]
        return _ev("run_progress", extra={"progress": levels})

    run.apply(progress(0, 100))
    clock.now = 10.0
    run.apply(progress(20, 100))
    frame = run.frame()
    categories, products = frame.progress
    assert (categories.level, categories.percent, categories.eta_s) == ("categories", 100.0, 0.0)
    assert (products.done, products.total, products.percent) == (20, 100, 20.0)
    assert products.eta_s == pytest.approx(40.0)
    assert frame.eta_s == pytest.approx(40.0)


def test_throughput_over_the_window() -> None:
    clock = Clock()
    run = RunAggregate("r", clock)
    run.apply(_ev("run_started"))
    run.apply(_ev("uploading", source_worker_id=1, items_count=30))
    for i in range(20):
        clock.now = i * 0.5
        run.apply(_ev("fetching", 1))
    clock.now = 10.0
    throughput = run.frame().throughput
    assert throughput.requests_per_s == pytest.approx(2.0)
    assert throughput.items_per_s == pytest.approx(3.0)
    assert throughput.items_per_min == pytest.approx(180.0)


def test_frames_are_copies() -> None:
    run = _fold(_script()[:8])
    frame = run.frame()
    frame.totals.failures_by_type["x"] = 99
    frame.workers[0].errors_by_type["x"] = 99
    again = run.frame()
    assert "x" not in again.totals.failures_by_type
    assert "x" not in again.workers[0].errors_by_type


def test_aggregator_keeps_one_aggregate_per_run() -> None:
    aggregator = Aggregator(clock=Clock())
    aggregator(ActivityEvent(run_id="a", action=Action.RUN_STARTED))
    aggregator(ActivityEvent(run_id="b", action=Action.RUN_STARTED))
    aggregator(ActivityEvent(run_id="b", action=Action.RUN_COMPLETED))
    assert [r.run_id for r in aggregator.active()] == ["a"]
    assert aggregator.frame("b") is not None
    assert aggregator.frame("b").status == "completed"  # type: ignore[union-attr]
    assert aggregator.frame("zzz") is None
    aggregator.forget("b")
    assert aggregator.get("b") is None


def test_interrupted_run() -> None:
    run = _fold([_ev("run_started")])
    run.mark_interrupted("2026-01-01T00:00:00.000Z")
    assert run.ended
    assert run.frame().status == "interrupted"
