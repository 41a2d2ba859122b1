"""Honest outcomes against a scripted site on 127.0.0.1 and a real SQLite file: a run that
reaches its end is completed, completed_with_errors or failed, says why, and stores why;
handler bugs are their own error, tried once; a run that pauses itself says so and does
what its owner chose (return, wait, cancel)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, OutcomeRules, Run, SitePolicy, Task, TaskContext
from crawlscope.status import ControlCommand
from tests.conftest import Reply, ScriptedSite

FAST = SitePolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02, backoff_jitter=0)


def _pages(
    name: str,
    tasks: int,
    *,
    dataset: str | None = None,
    item: Callable[[int], dict[str, Any]] | None = None,
    workers: int = 3,
    **settings: Any,
) -> Collection:
    """Fetch ``/p/{n}`` for each task; keep ``item(n)`` if a dataset is named."""
    settings.setdefault("site_policy", FAST)
    settings.setdefault("task_attempts", 1)
    collection = Collection(name, dataset=dataset, key="id" if dataset else None, **settings)

    @collection.phase("pages", workers=workers)
    async def pages(ctx: TaskContext, task: Task) -> None:
        n = task.payload["n"]
        await ctx.http.get(f"{ctx.params['base']}/p/{n}")
        if item is not None:
            ctx.add_item(item(n))

    collection.seed(lambda params: [Task(f"page {n}", payload={"n": n}) for n in range(tasks)])
    return collection


async def _ended(monitor: Monitor, run: Run, timeout: float = 30) -> tuple[str, ActivityEvent]:
    """Run to the end; the status and the run's last event."""
    status = await asyncio.wait_for(run.execute(), timeout)
    events = await monitor.store.events.read_all(run.run_id)
    return status, events[-1]


async def _stored(monitor: Monitor, run: Run) -> tuple[str, str | None]:
    await monitor.flush()
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.frame is not None
    assert (record.frame.status, record.frame.finish_reason) == (
        record.status,
        record.finish_reason,
    )
    return record.status, record.finish_reason


async def test_a_run_whose_every_task_failed_has_failed(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.fallback = Reply(503, "down for maintenance")  # the target is down
    collection = _pages(
        "down",
        6,
        max_consecutive_failures=0,  # no pause: the run goes to its end
        site_policy=FAST.replace(breaker_threshold=3, breaker_cooldown=0.05),
    )
    run = monitor.new_run(collection, {"base": scripted_site.url})
    status, last = await _ended(monitor, run)
    reason = "6 of 6 tasks failed (100%), more than the 50% that fails a run"
    assert (status, run.finish_reason) == ("failed", reason)
    assert last.action == "run_failed"
    assert last.extra == {"finish_reason": reason}
    assert last.error_message is None  # no exception ended it
    assert await _stored(monitor, run) == ("failed", reason)


async def test_some_failed_tasks_complete_with_errors_unless_tolerated(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.default["/p/3"] = Reply(404, "gone")
    scripted_site.default["/p/7"] = Reply(404, "gone")
    collection = _pages("some", 10)
    run = monitor.new_run(collection, {"base": scripted_site.url})
    status, last = await _ended(monitor, run)
    assert (status, run.finish_reason) == ("completed_with_errors", "2 of 10 tasks failed (20%)")
    assert last.action == "run_completed"
    assert last.extra == {"status": "completed_with_errors", "finish_reason": run.finish_reason}
    assert await _stored(monitor, run) == ("completed_with_errors", run.finish_reason)

    tolerant = _pages("tolerant", 10, outcome=OutcomeRules(tolerated_failed_share=0.25))
    run = monitor.new_run(tolerant, {"base": scripted_site.url})
    status, last = await _ended(monitor, run)
    reason = "2 of 10 tasks failed (20%), within the 25% tolerated"
    assert (status, run.finish_reason) == ("completed", reason)
    assert last.extra == {"status": "completed", "finish_reason": reason}

    clean = _pages("clean", 3)
    run = monitor.new_run(clean, {"base": scripted_site.url})
    assert await _ended(monitor, run) == (
        "completed",
        (await monitor.store.events.read_all(run.run_id))[-1],
    )
    assert run.finish_reason == "all 3 tasks done"
    assert await _stored(monitor, run) == ("completed", "all 3 tasks done")


async def test_a_run_that_collected_no_items_has_failed(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    collection = _pages("empty", 4, dataset="things")  # fetches, but keeps nothing
    run = monitor.new_run(collection, {"base": scripted_site.url})
    status, last = await _ended(monitor, run)
    reason = "no items collected for dataset 'things' (4 tasks done)"
    assert (status, run.finish_reason) == ("failed", reason)
    assert last.action == "run_failed"
    assert last.extra == {"dataset": "things", "dataset_size": 0, "finish_reason": reason}
    assert await _stored(monitor, run) == ("failed", reason)


async def test_items_without_their_key_fail_every_task_and_the_run(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    collection = _pages("keyless", 4, dataset="things", item=lambda n: {"name": f"thing {n}"})
    run = monitor.new_run(collection, {"base": scripted_site.url})
    status, _ = await _ended(monitor, run)
    assert (status, run.finish_reason) == (
        "failed",
        "4 of 4 tasks failed (100%), more than the 50% that fails a run",
    )
    events = await monitor.store.events.read_all(run.run_id)
    ends = [e for e in events if e.action == "complete"]
    assert {(e.error_type, e.error_stage, e.error_message) for e in ends} == {
        ("parse_error", "validation", "item has no id")
    }


async def test_an_exception_in_the_seed_fails_the_run_with_its_reason(monitor: Monitor) -> None:
    collection = Collection("bad seed")

    @collection.phase("one")
    async def one(ctx: TaskContext, task: Task) -> None:
        return None

    def seed(params: dict[str, Any]) -> list[Task]:
        raise ValueError("no start page configured")

    collection.seed(seed)
    run = monitor.new_run(collection)
    status, last = await _ended(monitor, run)
    reason = "the seed raised ValueError: no start page configured"
    assert (status, run.finish_reason, run.error) == (
        "failed",
        reason,
        "ValueError: no start page configured",
    )
    assert last.action == "run_failed"
    assert (last.error_message, last.extra) == (run.error, {"finish_reason": reason})
    assert await _stored(monitor, run) == ("failed", reason)


async def test_a_seed_without_tasks_fails_the_run(monitor: Monitor) -> None:
    collection = Collection("nothing")
    collection.add_phase("one", _noop)
    collection.seed(lambda params: [])
    run = monitor.new_run(collection)
    status, _ = await _ended(monitor, run)
    assert (status, run.finish_reason) == ("failed", "no task ran: the seed returned none")


async def _noop(ctx: TaskContext, task: Task) -> None:
    return None


# -- handler errors ------------------------------------------------------------------------


def _buggy(**settings: Any) -> Collection:
    collection = Collection("buggy", task_attempts=3, task_retry_delay=0, **settings)

    @collection.phase("one", workers=1)
    async def one(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/page")
        data: dict[str, str] = {}
        ctx.run_state["price"] = data["price"]  # a KeyError in collector code

    collection.seed(lambda params: [Task("the page")])
    return collection


async def test_a_handler_error_is_its_own_type_and_stage_and_tried_once(
    monitor: Monitor, scripted_site: ScriptedSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="crawlscope.runner.worker")
    run = monitor.new_run(_buggy(), {"base": scripted_site.url})
    status, _ = await _ended(monitor, run)
    assert status == "failed"
    assert scripted_site.hits["/page"] == 1  # not retried: its request was not repeated
    events = await monitor.store.events.read_all(run.run_id)
    mine = [(e.action, e.error_type, e.error_stage) for e in events if e.worker_id]
    assert mine == [
        ("fetching", None, None),
        ("found", None, None),
        ("error", "handler_error", "handler"),
        ("complete", "handler_error", "handler"),
    ]
    end = next(e for e in events if e.action == "complete")
    assert (end.attempt, end.error_message) == (1, "KeyError: 'price'")
    (logged,) = caplog.records
    assert "the handler of phase 'one' raised KeyError" in logged.getMessage()
    assert "not retried" in logged.getMessage()
    assert logged.exc_info is not None  # with its traceback
    await monitor.flush()
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.totals.errors_by_type == {"handler_error": 1}
    assert record.totals.errors_by_stage == {"handler": 1}


async def test_a_collection_can_opt_into_retrying_handler_errors(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    run = monitor.new_run(_buggy(retry_handler_errors=True), {"base": scripted_site.url})
    status, _ = await _ended(monitor, run)
    assert status == "failed"
    assert scripted_site.hits["/page"] == 3
    events = await monitor.store.events.read_all(run.run_id)
    retries = [e for e in events if e.action == "retrying"]
    assert [(e.attempt, e.error_type) for e in retries] == [
        (1, "handler_error"),
        (2, "handler_error"),
    ]
    end = next(e for e in events if e.action == "complete")
    assert (end.attempt, end.error_type, end.error_stage) == (3, "handler_error", "handler")


# -- a run that pauses itself ----------------------------------------------------------------


def _flaky(tasks: int = 8) -> Collection:
    """Four failures in a row pause it; the site is fixed before it is resumed."""
    return _pages(
        "flaky",
        tasks,
        workers=1,
        max_consecutive_failures=4,
        site_policy=FAST.replace(max_attempts=1),
    )


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_by_default_execute_returns_paused_and_says_how_to_resume(
    monitor: Monitor, scripted_site: ScriptedSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="crawlscope.runner")
    scripted_site.fallback = Reply(500, "broken")
    run = monitor.new_run(_flaky(), {"base": scripted_site.url})
    assert run.on_auto_pause == "return"
    assert await asyncio.wait_for(run.execute(), 20) == "paused"  # not a hang
    assert run.control.paused
    (said,) = [m for m in _warnings(caplog) if "paused itself" in m]
    assert f"run {run.run_id} paused itself: 4 consecutive task failures" in said
    assert "http_5xx" in said
    assert "4 failed tasks are back on their queues" in said
    assert "run.resume()" in said
    assert f"crawlscope runs resume {run.run_id} --db {monitor.store.data_path}" in said
    assert "execute() returns 'paused' now (on_auto_pause='return')" in said
    # The run is intact: fixed and resumed, it ends with every task done.
    scripted_site.fallback = Reply(200)
    assert run.resume() is True
    assert await asyncio.wait_for(run.wait(), 20) == "completed"
    assert run.finish_reason == "all 8 tasks done"


async def test_on_auto_pause_cancel_ends_the_run_with_the_pause_as_its_reason(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.fallback = Reply(500, "broken")
    run = monitor.new_run(_flaky(), {"base": scripted_site.url}, on_auto_pause="cancel")
    status, last = await _ended(monitor, run)
    assert status == "cancelled"
    assert run.finish_reason is not None
    assert run.finish_reason.startswith(
        "cancelled after pausing itself: 4 consecutive task failures (last: http_5xx"
    )
    assert run.finish_reason.endswith("; 8 tasks were still to do")
    assert last.action == "run_cancelled"
    assert last.extra is not None
    assert (last.extra["finish_reason"], last.extra["pending_tasks"]) == (run.finish_reason, 8)
    assert await _stored(monitor, run) == ("cancelled", run.finish_reason)


async def test_on_auto_pause_wait_waits_for_a_resume_from_another_process(
    monitor: Monitor, scripted_site: ScriptedSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="crawlscope.runner")
    scripted_site.fallback = Reply(500, "broken")
    run = monitor.new_run(_flaky(), {"base": scripted_site.url}, on_auto_pause="wait")
    execution = asyncio.ensure_future(run.execute())
    deadline = time.monotonic() + 20
    while not run.control.paused:
        assert time.monotonic() < deadline, "the run did not pause itself"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)
    assert not execution.done()  # still waiting, as asked
    (said,) = [m for m in _warnings(caplog) if "paused itself" in m]
    assert "it waits until resumed or cancelled (on_auto_pause='wait')" in said
    # `crawlscope runs resume` writes this row; the run's command poller applies it.
    scripted_site.fallback = Reply(200)
    await monitor.store.commands.enqueue(run.run_id, ControlCommand.RESUME)
    assert await asyncio.wait_for(execution, 20) == "completed"


async def test_totals_still_follow_the_counting_rules(
    monitor: Monitor, scripted_site: ScriptedSite, derive_totals: Any
) -> None:
    scripted_site.default["/p/1"] = Reply(404)
    run = monitor.new_run(_pages("counted", 5), {"base": scripted_site.url})
    await _ended(monitor, run)
    await monitor.flush()
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    events = await monitor.store.events.read_all(run.run_id)
    assert msgspec.to_builtins(record.totals) == derive_totals(events)
    assert (record.totals.tasks_done, record.totals.tasks_failed) == (4, 1)
