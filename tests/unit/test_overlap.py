"""Overlapping phases: declaring them (runner/collection.py), grouping them into stages
(runner/stages.py), and progress levels that stay open while a feeding phase runs
(runner/progress.py, aggregate/run_aggregate.py)."""

from __future__ import annotations

from typing import Any

import pytest

from crawlscope.aggregate import RunAggregate
from crawlscope.events import Action, ActivityEvent
from crawlscope.runner import Collection, ConfigError, Task, TaskContext
from crawlscope.runner.context import TaskProgress
from crawlscope.runner.progress import Progress
from crawlscope.runner.stages import stages_of


async def _noop(ctx: TaskContext, task: Task) -> None:
    return None


def _collection(*phases: tuple[str, bool]) -> Collection:
    collection = Collection("c")
    collection.seed(lambda params: [])
    for name, overlap in phases:
        collection.add_phase(name, _noop, overlap=overlap)
    return collection


def test_overlapping_phases_join_the_stage_before() -> None:
    collection = _collection(
        ("a", False), ("b", True), ("c", True), ("d", False), ("e", True), ("f", False)
    )
    collection.validate()
    stages = [[p.name for p in stage] for stage in stages_of(collection.phases)]
    assert stages == [["a", "b", "c"], ["d", "e"], ["f"]]
    sequential = stages_of(_collection(("x", False), ("y", False)).phases)
    assert [[p.name for p in stage] for stage in sequential] == [["x"], ["y"]]


def test_the_decorator_and_with_workers_keep_overlap() -> None:
    collection = _collection(("a", False))

    @collection.phase("b", workers=3, overlap=True)
    async def b(ctx: TaskContext, task: Task) -> None:
        return None

    copy = collection.with_workers(7)
    assert [(p.name, p.workers, p.overlap) for p in copy.phases] == [
        ("a", 7, False),
        ("b", 7, True),
    ]


@pytest.mark.parametrize(
    ("phases", "message"),
    [
        ((("a", True),), "phase 'a' is the first phase: overlap=True needs a phase before it"),
        ((("a", False), ("b", "yes")), "overlap of phase 'b' must be True or False"),
    ],
)
def test_bad_overlap_settings_name_the_phase(phases: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _collection(*phases).validate()


# -- progress --------------------------------------------------------------------------------


def test_a_level_is_open_while_a_phase_that_added_to_it_runs() -> None:
    progress = Progress(("listings", "products"))
    change = TaskProgress()
    change.add_total("products", 3)
    change.advance("listings")
    change.apply_to(progress, "catalog")
    other = TaskProgress()
    other.advance("products", 3)
    other.apply_to(progress, "detail")  # advancing does not make a phase a feeder
    assert progress.is_open("products")
    assert not progress.is_open("listings")
    assert progress.snapshot() == [
        {"level": "listings", "done": 1, "total": 0},
        {"level": "products", "done": 3, "total": 3, "open": True},
    ]
    progress.phase_ended("detail")
    assert progress.is_open("products")
    assert not progress.dirty
    progress.phase_ended("catalog")
    assert not progress.is_open("products")
    assert progress.dirty
    assert progress.snapshot()[1] == {"level": "products", "done": 3, "total": 3}
    # A phase that has ended feeds nothing any more.
    progress.add_total("products", 1, "catalog")
    assert not progress.is_open("products")


def test_open_levels_survive_a_resume() -> None:
    progress = Progress()
    progress.add_total("products", 5, "catalog")
    progress.set_total("pages", 2, "detail")
    saved = progress.counts()
    assert saved == [
        {"level": "products", "done": 0, "total": 5, "open": True, "sources": ["catalog"]},
        {"level": "pages", "done": 0, "total": 2, "open": True, "sources": ["detail"]},
    ]
    resumed = Progress()
    resumed.restore(saved)
    assert resumed.is_open("products")
    assert resumed.is_open("pages")
    resumed.phase_ended("catalog")
    assert resumed.snapshot() == [
        {"level": "products", "done": 0, "total": 5},
        {"level": "pages", "done": 0, "total": 2, "open": True},
    ]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress(*levels: dict[str, Any]) -> ActivityEvent:
    return ActivityEvent(
        run_id="r", action=Action.RUN_PROGRESS, worker_id=0, extra={"progress": list(levels)}
    )


def test_an_open_level_that_caught_up_shows_neither_100_percent_nor_an_eta_of_zero() -> None:
    clock = _Clock()
    run = RunAggregate("r", clock)
    run.apply(ActivityEvent(run_id="r", action=Action.RUN_STARTED, worker_id=0))
    run.apply(_progress({"level": "products", "done": 0, "total": 10, "open": True}))
    clock.now = 10.0
    run.apply(_progress({"level": "products", "done": 5, "total": 10, "open": True}))
    level = run.frame().progress[0]
    # Behind the known work: the pace gives an ETA for what is known so far.
    assert (level.percent, level.eta_s, level.open) == (50.0, 10.0, True)
    clock.now = 20.0
    run.apply(_progress({"level": "products", "done": 10, "total": 10, "open": True}))
    frame = run.frame()
    level = frame.progress[0]
    assert (level.done, level.total, level.percent, level.eta_s, level.open) == (
        10,
        10,
        99.9,
        None,
        True,
    )
    assert frame.eta_s is None
    # The feeding phase ended: the level is final, and finished.
    run.apply(_progress({"level": "products", "done": 10, "total": 10}))
    level = run.frame().progress[0]
    assert (level.percent, level.eta_s, level.open) == (100.0, 0.0, False)
