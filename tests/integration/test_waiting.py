"""Waiting is visible: a request that has to wait at its site's gate (rate limit,
Retry-After hold, open breaker, concurrency slot) puts its worker card in ``waiting``
with the reason while it waits, and its task records the time it waited apart from the
rest. Against a scripted site on 127.0.0.1, a real SQLite file and, for REST, a real
server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, SitePolicy, Task, TaskContext
from crawlscope.serving import serve_in_loop
from tests.conftest import Reply, ScriptedSite

FAST = SitePolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02, backoff_jitter=0)


def _fetcher(tasks: int, workers: int, policy: SitePolicy, name: str = "fetcher") -> Collection:
    collection = Collection(name, site_policy=policy, task_attempts=1)

    @collection.phase("pages", workers=workers)
    async def pages(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/p/{task.payload['n']}")

    collection.seed(lambda params: [Task(f"page {n}", payload={"n": n}) for n in range(tasks)])
    return collection


class CardWatch:
    """Each worker's card right after each of its events is folded (a bus listener added
    after the aggregator sees the frame that event made)."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.seen: list[tuple[ActivityEvent, dict[str, Any]]] = []
        monitor.bus.add_listener(self)

    def __call__(self, event: ActivityEvent) -> None:
        if not event.worker_id:
            return
        frame = self.monitor.live_frame(event.run_id)
        assert frame is not None
        card = next(c for c in frame.workers if c.worker_id == event.worker_id)
        self.seen.append(
            (event, {"state": card.state, "waiting_for": card.waiting_for, "task": card.task})
        )

    def after(self, action: str) -> list[dict[str, Any]]:
        return [card for event, card in self.seen if event.action == action]


async def _events(monitor: Monitor, collection: Collection, base: str) -> list[ActivityEvent]:
    run = monitor.new_run(collection, {"base": base})
    assert await asyncio.wait_for(run.execute(), 30) == "completed"
    return await monitor.store.events.read_all(run.run_id)


def _waits(events: list[ActivityEvent]) -> list[ActivityEvent]:
    return [e for e in events if e.action == "waiting"]


def _wait_ms(event: ActivityEvent) -> float:
    return float((event.extra or {}).get("wait_ms", 0.0))


async def test_a_worker_waiting_for_the_rate_limit_says_so_while_it_waits(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    watch = CardWatch(monitor)
    # A bucket of 2 requests draining at 2 a second: 2 go at once, the other 4 wait.
    policy = FAST.replace(rate_per_second=2)
    started = time.monotonic()
    events = await _events(monitor, _fetcher(6, 3, policy), scripted_site.url)
    assert time.monotonic() - started >= 1.8
    waits = _waits(events)
    assert len(waits) == 4
    assert {(e.site, (e.extra or {}).get("waiting_for")) for e in waits} == {
        (scripted_site.url.removeprefix("http://"), "rate_limit")
    }
    # While it waits, its card says so: state, reason and the task it waits for.
    for event, card in ((e, c) for e, c in watch.seen if e.action == "waiting"):
        assert card == {"state": "waiting", "waiting_for": "rate_limit", "task": event.task}
    # Let through, it is requesting, and the reason is gone.
    assert {c["waiting_for"] for c in watch.after("fetching")} == {None}
    # Its task says how long it waited, apart from the whole task's time.
    ends = {e.task: e for e in events if e.action == "complete"}
    waited = {task: _wait_ms(end) for task, end in ends.items() if _wait_ms(end)}
    assert set(waited) == {e.task for e in waits}
    for task, ms in waited.items():
        duration = ends[task].duration_ms
        assert duration is not None
        assert 100 <= ms <= duration
    assert sum(waited.values()) >= 0.5 * (500 + 500 + 1000 + 1000)  # about 0.5 s steps
    # and the worker cards add it up
    frame = monitor.live_frame(events[0].run_id)
    assert frame is not None
    assert sum(c.wait_ms for c in frame.workers) == pytest.approx(sum(waited.values()), abs=0.1)


async def test_nothing_in_the_way_means_no_waiting_event(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    events = await _events(monitor, _fetcher(30, 4, FAST), scripted_site.url)
    assert _waits(events) == []
    assert all(e.extra is None for e in events if e.action == "complete")


async def test_waiting_for_a_concurrency_slot(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.fallback = Reply(delay=0.1)
    watch = CardWatch(monitor)
    events = await _events(
        monitor, _fetcher(3, 3, FAST.replace(max_concurrency=1)), scripted_site.url
    )
    assert scripted_site.max_in_flight == 1
    reasons = [(e.extra or {}).get("waiting_for") for e in _waits(events)]
    assert reasons
    assert set(reasons) == {"concurrency"}
    assert {c["state"] for c in watch.after("waiting")} == {"waiting"}
    assert max(_wait_ms(e) for e in events if e.action == "complete") >= 150


async def test_waiting_out_another_workers_retry_after_and_an_open_breaker(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/p/0", Reply(429, "slow down", {"Retry-After": "0.4"}))
    watch = CardWatch(monitor)

    collection = Collection("held", site_policy=FAST, task_attempts=1)

    @collection.phase("pages", workers=2)
    async def pages(ctx: TaskContext, task: Task) -> None:
        if task.label == "late":
            await asyncio.sleep(0.1)  # starts while the site is held
        await ctx.http.get(f"{ctx.params['base']}/p/{task.label}")

    collection.seed(lambda params: [Task("0"), Task("late")])
    events = await _events(monitor, collection, scripted_site.url)
    (held,) = [e for e in _waits(events) if e.task == "late"]
    assert held.extra is not None
    assert held.extra["waiting_for"] == "retry_after"
    assert 0.2 <= held.extra["wait_s"] <= 0.4
    late = next(e for e in events if e.action == "complete" and e.task == "late")
    assert _wait_ms(late) >= 200
    assert any(
        c == {"state": "waiting", "waiting_for": "retry_after", "task": "late"}
        for c in watch.after("waiting")
    )

    # An open breaker: the first page's 500 opens it; the second request waits it out.
    scripted_site.queue("/p/a", Reply(500))
    breaker = FAST.replace(max_attempts=1, breaker_threshold=1, breaker_cooldown=0.3)
    collection = Collection("broken", site_policy=breaker, task_attempts=1)
    collection.add_phase("pages", pages, workers=1)
    collection.seed(lambda params: [Task("a"), Task("b")])
    run = monitor.new_run(collection, {"base": scripted_site.url})
    assert await asyncio.wait_for(run.execute(), 30) == "completed_with_errors"
    events = await monitor.store.events.read_all(run.run_id)
    (opened,) = [e for e in _waits(events) if e.task == "b"]
    assert opened.extra is not None
    assert opened.extra["waiting_for"] == "breaker"
    assert 0.1 <= opened.extra["wait_s"] <= 0.3


# -- the same over REST ------------------------------------------------------------------------


@pytest.fixture
async def throttled_server(
    server_settings: Settings, scripted_site: ScriptedSite
) -> AsyncIterator[str]:
    registry = CollectionRegistry()
    registry.register(
        _fetcher(8, 3, FAST.replace(rate_per_second=1), name="throttled"),
        defaults={"base": scripted_site.url},
    )
    async with serve_in_loop(create_app(server_settings, registry=registry)) as url:
        yield url


async def test_the_workers_endpoint_shows_a_worker_waiting_on_the_rate_limit(
    throttled_server: str,
) -> None:
    async with httpx.AsyncClient(base_url=throttled_server, timeout=10) as client:
        response = await client.post("/api/runs", json={"collection": "throttled"})
        assert response.status_code == 201, response.text
        run_id = response.json()["run_id"]
        deadline = time.monotonic() + 20
        while True:
            workers = (await client.get(f"/api/runs/{run_id}/workers")).json()["workers"]
            waiting = [w for w in workers if w["state"] == "waiting"]
            if waiting:
                break
            assert time.monotonic() < deadline, workers
            await asyncio.sleep(0.05)
        card = waiting[0]
        assert card["waiting_for"] == "rate_limit"
        assert card["task"].startswith("page ")
        assert card["state_since"]
        while (await client.get(f"/api/runs/{run_id}")).json()["status"] == "running":
            assert time.monotonic() < deadline + 20
            await asyncio.sleep(0.1)
        done = (await client.get(f"/api/runs/{run_id}")).json()
        assert (done["status"], done["finish_reason"]) == ("completed", "all 8 tasks done")
        assert sum(w.get("wait_ms", 0) for w in done["workers"]) > 1000
