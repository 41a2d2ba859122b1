"""Runs' frontiers (``FrontierRepository``) on every backend: what crash resume reads."""

from __future__ import annotations

import pytest

from crawlscope.runner.frontier import FrontierUpdate, TaskState
from crawlscope.runner.task import Task
from crawlscope.store import SqlStore

# On a SQLite file the event writer process writes the frontier by default; "inline" is
# the in-process path (the one PostgreSQL always takes).
pytestmark = pytest.mark.parametrize("event_writer", ["process", "inline"], indirect=True)


def _update(
    added: list[tuple[int, str, Task]] | None = None,
    states: list[tuple[int, TaskState]] | None = None,
    **counters: object,
) -> FrontierUpdate:
    return FrontierUpdate(
        added=added or [],
        states=states or [],
        next_no=int(counters.get("next_no", 0)),  # type: ignore[call-overload]
        finished_phases=list(counters.get("finished_phases", [])),  # type: ignore[call-overload]
        progress=list(counters.get("progress", [])),  # type: ignore[call-overload]
    )


async def test_a_run_without_a_frontier_has_none(store: SqlStore) -> None:
    assert await store.frontiers.load("nobody") is None
    assert await store.frontiers.failed("nobody") == []
    assert await store.frontiers.counts("nobody") == {}


async def test_tasks_their_states_and_the_counters_round_trip(store: SqlStore) -> None:
    frontiers = store.frontiers
    catalog = [
        (1, "catalog", Task("page 1", payload={"page": 1}, key="p1")),
        (2, "catalog", Task("page 2", payload={"page": 2}, key="p2")),
    ]
    await frontiers.save("r", _update(catalog, next_no=3, progress=[{"level": "pages"}]))
    sellers = [
        (3, "sellers", Task("seller 7", payload={"id": 7}, key="7", category="a/b")),
        (4, "sellers", Task("seller 8", payload={"id": 8})),
    ]
    await frontiers.save(
        "r",
        _update(
            sellers,
            [
                (1, TaskState.DONE),
                (2, TaskState.FAILED),
                (2, TaskState.PENDING),
                (3, TaskState.DONE),
            ],
            next_no=5,
            finished_phases=["catalog"],
            progress=[{"level": "pages", "done": 1, "total": 2}],
        ),
    )
    await frontiers.save("other", _update([(1, "catalog", Task("x"))], next_no=2))
    saved = await frontiers.load("r")
    assert saved is not None
    # Task 2 failed, then went back on its queue: pending again (the last state wins).
    assert saved.pending == [catalog[1], sellers[1]]
    assert saved.keys == {"catalog": ["p1", "p2"], "sellers": ["7"]}
    assert (saved.next_no, saved.finished_phases) == (5, ["catalog"])
    assert saved.progress == [{"level": "pages", "done": 1, "total": 2}]
    assert (saved.done, saved.failed) == (2, 0)
    assert await frontiers.counts("r") == {"done": 2, "pending": 2}


async def test_failed_tasks_come_back_in_queue_order(store: SqlStore) -> None:
    tasks = [(no, "only", Task(f"t{no}", payload={"no": no})) for no in range(1, 1201)]
    await store.frontiers.save("r", _update(tasks, next_no=1201))
    failing = [(no, TaskState.FAILED) for no in range(1200, 0, -2)]  # more than one chunk
    await store.frontiers.save("r", _update(states=failing, next_no=1201))
    failed = await store.frontiers.failed("r")
    assert [task.payload["no"] for _, task in failed] == list(range(2, 1201, 2))
    assert {phase for phase, _ in failed} == {"only"}
    assert await store.frontiers.counts("r") == {"failed": 600, "pending": 600}


async def test_a_task_queued_and_finished_in_one_save_is_stored_in_its_final_state(
    store: SqlStore,
) -> None:
    frontiers = store.frontiers
    tasks = [(n, "work", Task(f"t{n}", key=f"k{n}")) for n in range(1, 5)]
    states = [
        (1, TaskState.DONE),
        (2, TaskState.FAILED),
        (2, TaskState.PENDING),
        (3, TaskState.FAILED),
    ]
    await frontiers.save("r", _update(tasks, states, next_no=5))
    # A later save changes a task inserted in its final state, like any other.
    await frontiers.save("r", _update(states=[(3, TaskState.DONE)], next_no=5))

    saved = await frontiers.load("r")
    assert saved is not None
    assert [no for no, _, _ in saved.pending] == [2, 4]
    assert (saved.done, saved.failed) == (2, 0)
    assert await frontiers.counts("r") == {"pending": 2, "done": 2}


async def test_a_save_sent_again_stores_the_same_frontier(store: SqlStore) -> None:
    # A save whose answer was lost is sent again, merged with what came after it.
    frontiers = store.frontiers
    first = _update([(1, "work", Task("t1")), (2, "work", Task("t2"))], next_no=3)
    await frontiers.save("r", first)
    again = _update(
        [(1, "work", Task("t1")), (2, "work", Task("t2")), (3, "work", Task("t3"))],
        [(1, TaskState.DONE)],
        next_no=4,
    )
    await frontiers.save("r", again)
    saved = await frontiers.load("r")
    assert saved is not None
    assert [no for no, _, _ in saved.pending] == [2, 3]
    assert (saved.done, saved.next_no) == (1, 4)
