"""AlertEvaluator (alerts/evaluator.py) over a real aggregator and a real SQLite store:
what it saves when, and how fresh a rule's value on the Alerts page is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from crawlscope.aggregate import Aggregator
from crawlscope.alerts.evaluator import RULE_VALUE_EVERY, VALUE_SAVE_INTERVAL_S, AlertEvaluator
from crawlscope.alerts.model import AlertState
from crawlscope.alerts.notifier import Notifier
from crawlscope.alerts.parsing import parse_rule
from crawlscope.alerts.rule_files import RuleFile
from crawlscope.alerts.rulebook import build_rulebook
from crawlscope.events import Action, ActivityEvent
from crawlscope.frame_source import LocalFrames
from crawlscope.store.sql_store import SqlStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _ev(action: str, **fields: Any) -> ActivityEvent:
    return ActivityEvent(run_id="r", action=Action(action), **fields)


def _requests(aggregator: Aggregator, count: int) -> None:
    for _ in range(count):
        aggregator(_ev("fetching", worker_id=1, site="shop:80", url="http://shop/x", attempt=1))
        aggregator(_ev("found", worker_id=1, site="shop:80", status_code=200, duration_ms=5.0))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    sql = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}", event_writer="inline")
    await sql.open()
    yield sql
    await sql.close()


def _evaluator(
    store: SqlStore, aggregator: Aggregator, clock: Clock, condition: str
) -> AlertEvaluator:
    rule = parse_rule({"name": "many", "condition": condition, "value": "run.requests"})
    book = build_rulebook(RuleFile(rules=[rule]), builtins_on=False)
    frames = LocalFrames(aggregator, store.runs)
    return AlertEvaluator(frames, book, notifier=Notifier(), sink=store.alerts, clock=clock)


def _started() -> Aggregator:
    aggregator = Aggregator()
    aggregator(_ev("run_started", extra={"collection": "c", "dataset": "d"}))
    return aggregator


async def test_state_changes_are_saved_at_once_and_values_every_interval(store: SqlStore) -> None:
    aggregator, clock = _started(), Clock()
    evaluator = _evaluator(store, aggregator, clock, "run.requests > 2")
    _requests(aggregator, 3)
    await evaluator.tick()
    [stored] = await store.alerts.open_alerts()
    assert (stored.state, stored.value) == (AlertState.FIRING, 3.0)

    _requests(aggregator, 2)
    clock.now += 1
    [change] = await evaluator.tick()
    assert change.value_only
    assert evaluator.tracker.open[stored.fingerprint].value == 5.0  # what the API shows
    [stored] = await store.alerts.open_alerts()
    assert stored.value == 3.0  # not saved yet

    _requests(aggregator, 1)
    clock.now += VALUE_SAVE_INTERVAL_S
    await evaluator.tick()
    [stored] = await store.alerts.open_alerts()
    assert stored.value == 6.0

    _requests(aggregator, 1)
    clock.now += 1
    await evaluator.tick()
    assert [a.value for a in await store.alerts.open_alerts()] == [6.0]
    await evaluator.stop()  # saves what is left
    assert [a.value for a in await store.alerts.open_alerts()] == [7.0]


async def test_a_resolution_is_saved_at_once_even_after_unsaved_values(store: SqlStore) -> None:
    aggregator, clock = _started(), Clock()
    evaluator = _evaluator(store, aggregator, clock, "run.requests > 2 && run.requests < 6")
    _requests(aggregator, 3)
    await evaluator.tick()
    _requests(aggregator, 1)
    clock.now += 1
    await evaluator.tick()  # value 4, unsaved
    _requests(aggregator, 2)
    clock.now += 1
    await evaluator.tick()  # 6: resolved
    assert await store.alerts.open_alerts() == []
    [resolved] = await store.alerts.list_alerts()
    assert (resolved.state, resolved.value) == (AlertState.RESOLVED, 4.0)
    await evaluator.stop()
    [resolved] = await store.alerts.list_alerts()
    assert resolved.state is AlertState.RESOLVED  # the flush did not reopen it


async def test_a_rule_value_where_it_does_not_hold_is_at_most_a_few_ticks_old(
    store: SqlStore,
) -> None:
    aggregator, clock = _started(), Clock()
    evaluator = _evaluator(store, aggregator, clock, "run.requests > 1000")
    _requests(aggregator, 3)
    await evaluator.tick()
    assert evaluator.status["many"].value == 3.0  # read on the first evaluation
    _requests(aggregator, 2)
    values = []
    for _ in range(RULE_VALUE_EVERY):
        clock.now += 1
        await evaluator.tick()
        values.append(evaluator.status["many"].value)
    # Stale for a few ticks at most, then fresh: never newer than the run, never older
    # than RULE_VALUE_EVERY ticks.
    assert values[-1] == 5.0
    fresh_from = values.index(5.0)
    assert values[:fresh_from] == [3.0] * fresh_from
    assert values[fresh_from:] == [5.0] * (RULE_VALUE_EVERY - fresh_from)
    await evaluator.stop()
