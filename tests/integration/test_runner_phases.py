"""Phases, queues and task attempts: small custom collections against a real local site."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, ParseError, Run, SitePolicy, Task, TaskContext
from tests.conftest import Reply, ScriptedSite


def _names(events: list[ActivityEvent], action: str) -> list[str | None]:
    return [e.phase for e in events if e.action == action]


def _leftover_tasks(run: Run) -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if run.run_id in t.get_name()]


def _three_phases(handled: list[tuple[str, str]]) -> Collection:
    """lists (paginated, 3 workers) -> details (2 workers) -> empty -> reviews (1 worker)."""
    collection = Collection(
        "phased",
        dataset="details",
        key="id",
        site_policy=SitePolicy(backoff_base=0.01, backoff_jitter=0),
    )

    @collection.phase("lists", workers=3)
    async def lists(ctx: TaskContext, task: Task) -> None:
        category, page = task.payload["category"], task.payload["page"]
        await ctx.http.get(f"{ctx.params['base']}/list/{category}", params={"page": page})
        handled.append(("lists", task.label))
        if page == 1:
            for more in (2, 3):  # later pages of the same listing: this phase again
                ctx.enqueue(
                    Task(
                        f"{category} p{more}",
                        payload={"category": category, "page": more},
                        key=f"{category}:{more}",
                    )
                )
        for n in range(4):
            # Items overlap between pages of a category: keyed tasks are deduped.
            item = (page - 1) * 2 + n
            ctx.enqueue(
                Task(
                    f"{category}-{item}",
                    payload={"id": f"{category}-{item}"},
                    key=f"{category}-{item}",
                ),
                phase="details",
            )

    @collection.phase("details", workers=2)
    async def details(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/item/{task.payload['id']}")
        handled.append(("details", task.label))
        ctx.add_item({"id": task.payload["id"]})
        if task.payload["id"].endswith("-0"):
            ctx.enqueue(Task(f"review {task.payload['id']}"), phase="reviews")

    @collection.phase("empty", workers=5)
    async def empty(ctx: TaskContext, task: Task) -> None:
        raise AssertionError("no task was ever queued here")

    @collection.phase("reviews", workers=1)
    async def reviews(ctx: TaskContext, task: Task) -> None:
        handled.append(("reviews", task.label))

    collection.seed(
        lambda params: [
            Task(f"{c} p1", payload={"category": c, "page": 1}, key=f"{c}:1") for c in "abc"
        ]
    )
    return collection


async def test_tasks_flow_through_phases_with_none_lost_or_left_over(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    handled: list[tuple[str, str]] = []
    run = monitor.new_run(_three_phases(handled), {"base": scripted_site.url})
    assert await asyncio.wait_for(run.execute(), 30) == "completed"

    lists = {f"{c} p{p}" for c in "abc" for p in (1, 2, 3)}
    details = {f"{c}-{i}" for c in "abc" for i in range(8)}  # items 0..7 per category
    reviews = {f"review {c}-0" for c in "abc"}
    assert sorted(handled) == sorted(
        [("lists", x) for x in lists]
        + [("details", x) for x in details]
        + [("reviews", x) for x in reviews]
    )  # every task exactly once

    # Phases ran one after another; each saw only its own tasks.
    events = await monitor.store.events.read_all(run.run_id)
    assert _names(events, "phase_started") == ["lists", "details", "empty", "reviews"]
    assert _names(events, "phase_completed") == ["lists", "details", "empty", "reviews"]
    order = [(e.action, e.phase) for e in events if e.action.startswith("phase_")]
    assert order == [
        (a, p)
        for p in ("lists", "details", "empty", "reviews")
        for a in ("phase_started", "phase_completed")
    ]
    started = {e.phase: e.extra for e in events if e.action == "phase_started"}
    assert started["lists"] == {"workers": 3, "tasks": 3}
    assert started["details"] == {"workers": 2, "tasks": 24}  # queued while "lists" ran
    assert started["empty"] == {"workers": 5, "tasks": 0}
    # Every worker event belongs to the phase running at the time.
    current = None
    workers: dict[str | None, set[int]] = {}
    for event in events:
        if event.action == "phase_started":
            current = event.phase
        if event.worker_id:
            assert event.phase == current
            workers.setdefault(event.phase, set()).add(event.worker_id)
    assert workers["lists"] <= {1, 2, 3}
    assert workers["details"] <= {1, 2}
    assert workers["reviews"] == {1}

    # Nothing is left: queues empty and joined, every worker task gone.
    assert run.queues.pending_total() == 0
    assert all(q.qsize() == 0 and q._unfinished_tasks == 0 for q in run.queues.queues.values())
    assert run.queues.finished == {"lists", "details", "empty", "reviews"}
    assert _leftover_tasks(run) == []
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.totals.tasks_done == len(handled)
    assert record.dataset_size == len(details)
    assert sorted(await monitor.store.datasets.keys("details")) == sorted(details)


async def test_a_task_attempt_is_transactional(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    """Items, new tasks and progress of a failed attempt are dropped; only the retry counts."""
    collection = Collection(
        "flaky", dataset="things", key="id", task_attempts=3, task_retry_delay=0.01
    )
    attempts: list[int] = []
    followers: list[str] = []

    @collection.phase("one", workers=1)
    async def one(ctx: TaskContext, task: Task) -> None:
        attempts.append(ctx.attempt)
        ctx.add_items([{"id": "x"}, {"id": "y"}])
        ctx.enqueue(Task("follower"), phase="two")
        ctx.progress.add_total("things", 2)
        ctx.progress.advance("things", 2)
        if ctx.attempt < 3:
            raise ParseError(f"attempt {ctx.attempt} unreadable", stage="validation")

    @collection.phase("two", workers=1)
    async def two(ctx: TaskContext, task: Task) -> None:
        followers.append(task.label)

    collection.seed(lambda params: [Task("the task")])
    run = monitor.new_run(collection)
    assert await asyncio.wait_for(run.execute(), 30) == "completed"
    assert attempts == [1, 2, 3]
    assert followers == ["follower"]
    events = await monitor.store.events.read_all(run.run_id)
    errors = [e for e in events if e.action == "error"]
    assert [(e.attempt, e.error_type, e.error_stage) for e in errors] == [
        (1, "parse_error", "validation"),
        (2, "parse_error", "validation"),
    ]
    assert [e.extra for e in events if e.action == "retrying"] == [
        {"delay_s": 0.01},
        {"delay_s": 0.02},
    ]
    (complete,) = [e for e in events if e.action == "complete" and e.phase == "one"]
    assert (complete.attempt, complete.items_count, complete.error_type) == (3, 2, None)
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert (record.totals.items_found, record.totals.new_items) == (2, 2)
    assert [(p.level, p.done, p.total) for p in record.progress] == [("things", 2, 2)]


async def test_a_task_that_never_parses_fails_with_its_stage(
    monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    collection = Collection("hopeless", task_attempts=2, task_retry_delay=0)

    @collection.phase("one", workers=2)
    async def one(ctx: TaskContext, task: Task) -> None:
        if task.label == "bad":
            raise ctx.parse_error("no price", stage="prices")
        if task.label == "bug":
            raise KeyError("oops")

    collection.seed(lambda params: [Task("bad"), Task("good"), Task("bug")])
    run = monitor.new_run(collection)
    # Two of three tasks failed: more than the default 50% that fails a run.
    assert await asyncio.wait_for(run.execute(), 30) == "failed"
    assert run.finish_reason == "2 of 3 tasks failed (66.7%), more than the 50% that fails a run"
    events = await monitor.store.events.read_all(run.run_id)
    ends = {e.task: e for e in events if e.action == "complete"}
    assert ends["good"].error_type is None
    assert (ends["bad"].error_type, ends["bad"].error_stage) == ("parse_error", "prices")
    assert ends["bad"].error_message == "no price"
    assert ends["bad"].attempt == 2  # a parse failure is retried
    # An unexpected exception in collector code is a handler error: tried once, logged with
    # its traceback.
    assert (ends["bug"].error_type, ends["bug"].error_stage) == ("handler_error", "handler")
    assert ends["bug"].error_message == "KeyError: 'oops'"
    assert ends["bug"].attempt == 1
    assert [e.action for e in events if e.task == "bug"] == ["error", "complete"]
    (logged,) = [r for r in caplog.records if "handler_error" in r.getMessage()]
    assert logged.exc_info is not None
    assert logged.exc_info[0] is KeyError
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert (record.totals.tasks_done, record.totals.tasks_failed) == (1, 2)
    assert record.totals.errors_by_stage == {"prices": 2, "handler": 1}
    assert record.totals.errors_by_type == {"parse_error": 2, "handler_error": 1}
    assert (record.status, record.finish_reason) == ("failed", run.finish_reason)
    assert record.error is None  # no exception ended the run


async def test_enqueuing_into_a_finished_phase_fails_the_task_clearly(monitor: Monitor) -> None:
    collection = Collection("backwards", task_attempts=1)

    @collection.phase("first", workers=1)
    async def first(ctx: TaskContext, task: Task) -> None:
        ctx.enqueue(Task("next"), phase="second")

    @collection.phase("second", workers=1)
    async def second(ctx: TaskContext, task: Task) -> None:
        ctx.enqueue(Task("back"), phase="first")

    collection.seed(lambda params: [Task("start")])
    run = monitor.new_run(collection)
    assert await asyncio.wait_for(run.execute(), 30) == "completed_with_errors"
    events = await monitor.store.events.read_all(run.run_id)
    (failed,) = [e for e in events if e.action == "complete" and e.error_type]
    assert failed.task == "next"
    assert (failed.error_type, failed.error_stage) == ("handler_error", "handler")
    assert "cannot enqueue into phase 'first'" in (failed.error_message or "")
    assert "['second']" in (failed.error_message or "")


async def test_a_seed_that_fails_fails_the_run(monitor: Monitor) -> None:
    collection = Collection("broken seed")

    @collection.phase("one")
    async def one(ctx: TaskContext, task: Task) -> None:
        return None

    collection.seed(lambda params: ["not a task"])  # type: ignore[list-item]
    run = monitor.new_run(collection)
    assert await asyncio.wait_for(run.execute(), 30) == "failed"
    assert run.error is not None
    assert "seed must return Task objects" in run.error
    assert run.finish_reason == f"the seed raised {run.error}"
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "failed"
    assert record.error == run.error
    assert record.finish_reason == run.finish_reason
    assert _leftover_tasks(run) == []


async def test_many_workers_few_tasks_shut_down_promptly(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.fallback = Reply(delay=0.05)
    collection = Collection("wide")

    @collection.phase("one", workers=50)
    async def one(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/x/{task.label}")

    collection.seed(lambda params: [Task(str(n)) for n in range(3)])
    run = monitor.new_run(collection, {"base": scripted_site.url})
    assert await asyncio.wait_for(run.execute(), 10) == "completed"
    assert _leftover_tasks(run) == []
    frame = monitor.live_frame(run.run_id)
    assert frame is not None
    assert len(frame.workers) == 50
    assert {w.state for w in frame.workers} == {"complete"}


@pytest.mark.parametrize("workers", [1, 4])
async def test_a_task_enqueuing_into_its_own_phase_keeps_it_alive(
    monitor: Monitor, workers: int
) -> None:
    collection = Collection("chain")
    seen: list[int] = []

    @collection.phase("one", workers=workers)
    async def one(ctx: TaskContext, task: Task) -> None:
        n = task.payload["n"]
        await asyncio.sleep(0.001)
        seen.append(n)
        if n < 30:
            ctx.enqueue(Task(f"step {n + 1}", payload={"n": n + 1}))

    collection.seed(lambda params: [Task("step 0", payload={"n": 0})])
    run = monitor.new_run(collection)
    assert await asyncio.wait_for(run.execute(), 10) == "completed"
    assert seen == list(range(31))
