"""The instrumented client and per-site policies against a scripted server on 127.0.0.1:
events per attempt, retries, Retry-After holds, timeouts, limits and the breaker."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, SitePolicy, Task, TaskContext
from tests.conftest import Reply, ScriptedSite

Handler = Callable[[TaskContext, Task], Awaitable[None]]
FAST = SitePolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, backoff_jitter=0)


async def _run(
    monitor: Monitor,
    handler: Handler,
    tasks: list[Task],
    *,
    base: str = "",
    workers: int = 1,
    timeout: float = 20.0,
    **settings: Any,
) -> tuple[str, list[ActivityEvent]]:
    collection = Collection("http", task_attempts=1, **settings)
    collection.add_phase("only", handler, workers=workers)
    collection.seed(lambda params: tasks)
    run = monitor.new_run(collection, {"base": base})
    status = await asyncio.wait_for(run.execute(), timeout)
    return status, await monitor.store.events.read_all(run.run_id)


def _worker_events(events: list[ActivityEvent], worker_id: int = 1) -> list[ActivityEvent]:
    return [e for e in events if e.worker_id == worker_id]


async def test_every_attempt_is_an_event_with_its_context(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/a", Reply(503, "busy"), Reply(200, "hello"))
    bodies: list[str] = []

    async def handler(ctx: TaskContext, task: Task) -> None:
        response = await ctx.http.get(f"{ctx.params['base']}/a", params={"q": "x y", "page": 2})
        bodies.append(response.text())

    status, events = await _run(
        monitor,
        handler,
        [Task("t", category="C", item="I")],
        base=scripted_site.url,
        site_policy=FAST,
    )
    assert status == "completed"
    assert bodies == ["hello"]
    mine = _worker_events(events)
    assert [(e.action, e.attempt) for e in mine] == [
        ("fetching", 1),
        ("error", 1),
        ("retrying", 1),
        ("fetching", 2),
        ("found", 2),
        ("complete", 1),
    ]
    site = scripted_site.url.split("//", 1)[1]
    fetching, error, retrying, _, found, complete = mine
    assert fetching.url == f"{scripted_site.url}/a?q=x+y&page=2"
    assert fetching.params == {"q": "x y", "page": 2}
    assert (fetching.method, fetching.site, fetching.phase) == ("GET", site, "only")
    assert (fetching.task, fetching.category, fetching.item) == ("t", "C", "I")
    assert fetching.started_at is not None
    assert (error.status_code, error.error_type, error.error_stage) == (503, "http_5xx", "request")
    assert error.error_message == "HTTP 503: busy"
    assert error.duration_ms is not None
    # The bodies' sizes, which the analytics price per GB received.
    assert error.extra == {"bytes": len(b"busy")}
    assert found.extra == {"bytes": len(b"hello")}
    assert (retrying.error_type, retrying.extra) == ("http_5xx", {"delay_s": 0.01})
    assert (found.status_code, found.url) == (200, fetching.url)
    assert found.duration_ms is not None
    assert found.duration_ms >= 0
    assert complete.error_type is None


async def test_client_errors_are_not_retried_unless_allowed(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.default["/missing"] = Reply(404, "no such page")

    async def handler(ctx: TaskContext, task: Task) -> None:
        allow = (404,) if task.label == "allowed" else ()
        response = await ctx.http.get(f"{ctx.params['base']}/missing", allow_status=allow)
        assert response.status == 404

    status, events = await _run(
        monitor,
        handler,
        [Task("strict"), Task("allowed")],
        base=scripted_site.url,
        site_policy=FAST,
    )
    assert status == "completed_with_errors"  # one of the two tasks failed
    by_task: dict[str | None, list[str]] = {}
    for event in _worker_events(events):
        by_task.setdefault(event.task, []).append(event.action)
    assert by_task == {
        "strict": ["fetching", "error", "complete"],
        "allowed": ["fetching", "found", "complete"],
    }
    ends = {e.task: e for e in events if e.action == "complete"}
    assert (ends["strict"].error_type, ends["strict"].error_stage) == ("http_4xx", "request")
    assert ends["allowed"].error_type is None
    assert scripted_site.hits["/missing"] == 2


async def test_retries_stop_at_max_attempts(monitor: Monitor, scripted_site: ScriptedSite) -> None:
    scripted_site.default["/down"] = Reply(500)

    async def handler(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/down")

    status, events = await _run(
        monitor, handler, [Task("t")], base=scripted_site.url, site_policy=FAST
    )
    assert status == "failed"  # its only task failed
    actions = [e.action for e in _worker_events(events)]
    assert actions == ["fetching", "error", "retrying"] * 2 + ["fetching", "error", "complete"]
    assert scripted_site.hits["/down"] == 3
    (end,) = [e for e in events if e.action == "complete"]
    assert (end.error_type, end.attempt) == ("http_5xx", 1)


async def test_a_429_holds_the_whole_site_for_retry_after(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/limited", Reply(429, "slow down", {"Retry-After": "0.5"}))

    async def handler(ctx: TaskContext, task: Task) -> None:
        if task.label == "other":
            await asyncio.sleep(0.1)  # starts after the 429 arrived
            await ctx.http.get(f"{ctx.params['base']}/other")
        else:
            await ctx.http.get(f"{ctx.params['base']}/limited")

    status, events = await _run(
        monitor,
        handler,
        [Task("limited"), Task("other")],
        base=scripted_site.url,
        workers=2,
        site_policy=FAST,
    )
    assert status == "completed"
    (first_429, *_), others = (
        [t for t, p in scripted_site.arrivals if p == "/limited"],
        [t for t, p in scripted_site.arrivals if p == "/other"],
    )
    retried = [t for t, p in scripted_site.arrivals if p == "/limited"][1]
    # Neither the retry nor the other worker's request went out during the hold.
    assert retried - first_429 >= 0.45
    assert others[0] - first_429 >= 0.45
    limited = next(e for e in events if e.action == "rate_limited")
    assert (limited.status_code, limited.error_type) == (429, "rate_limit")
    assert limited.extra == {"bytes": len(b"slow down"), "retry_after_s": 0.5}
    retry = next(e for e in events if e.action == "retrying")
    assert (retry.error_type, retry.extra) == ("rate_limit", {"delay_s": 0.5})


async def test_retry_after_is_capped_and_the_worker_shows_rate_limited(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/limited", Reply(429, headers={"Retry-After": "3600"}))
    states: list[str] = []

    def listener(event: ActivityEvent) -> None:
        if event.worker_id == 1:
            frame = monitor.live_frame(event.run_id)
            assert frame is not None
            states.append(f"{event.action}:{frame.workers[0].state}")

    monitor.bus.add_listener(listener)

    async def handler(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/limited")

    status, events = await _run(
        monitor,
        handler,
        [Task("t")],
        base=scripted_site.url,
        site_policy=FAST.replace(max_retry_after=0.2),
        timeout=5,
    )
    assert status == "completed"
    retry = next(e for e in events if e.action == "retrying")
    assert retry.extra == {"delay_s": 0.2}
    assert states == [
        "fetching:requesting",
        "rate_limited:rate_limited",
        "retrying:rate_limited",
        "fetching:requesting",
        "found:processing",
        "complete:idle",
    ]


async def test_timeouts_and_connection_errors(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/slow", Reply(delay=2.0))
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()

    async def handler(ctx: TaskContext, task: Task) -> None:
        if task.label == "slow":
            await ctx.http.get(f"{ctx.params['base']}/slow")
        else:
            await ctx.http.get(f"http://127.0.0.1:{dead_port}/nothing")

    status, events = await _run(
        monitor,
        handler,
        [Task("slow"), Task("dead")],
        base=scripted_site.url,
        workers=2,
        site_policy=FAST.replace(timeout=0.2, max_attempts=2),
    )
    assert status == "completed_with_errors"
    errors = {(e.task, e.attempt): e for e in events if e.action == "error"}
    timeout = errors[("slow", 1)]
    assert (timeout.error_type, timeout.status_code) == ("timeout", None)
    assert "0.2s" in (timeout.error_message or "")
    assert timeout.duration_ms is not None
    assert timeout.duration_ms >= 190
    assert ("slow", 2) not in errors  # the second attempt succeeded
    assert errors[("dead", 1)].error_type == "connection"
    assert errors[("dead", 2)].error_type == "connection"
    ends = {e.task: e.error_type for e in events if e.action == "complete"}
    assert ends == {"slow": None, "dead": "connection"}


async def test_a_429_answering_the_half_open_probe_does_not_wedge_the_site(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    # 500, 500 open the breaker; the probe after the cooldown gets a 429 (a live site
    # asking to slow down); the request after it must still be let through.
    scripted_site.queue(
        "/x", Reply(500), Reply(500), Reply(429, headers={"Retry-After": "0"}), Reply(200)
    )

    async def handler(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/x")

    policy = FAST.replace(max_attempts=6, breaker_threshold=2, breaker_cooldown=0.1)
    status, events = await _run(
        monitor, handler, [Task("t")], base=scripted_site.url, site_policy=policy, timeout=5
    )
    assert status == "completed"
    assert [e.action for e in events if e.action.startswith("breaker_")] == [
        "breaker_opened",
        "breaker_half_open",
        "breaker_closed",
    ]
    assert scripted_site.hits["/x"] == 4
    (end,) = [e for e in events if e.action == "complete"]
    assert end.error_type is None


async def test_concurrency_limit_per_site(monitor: Monitor, scripted_site: ScriptedSite) -> None:
    scripted_site.fallback = Reply(delay=0.05)

    async def handler(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/c/{task.label}")

    status, _ = await _run(
        monitor,
        handler,
        [Task(str(n)) for n in range(12)],
        base=scripted_site.url,
        workers=6,
        site_policy=FAST.replace(max_concurrency=2),
    )
    assert status == "completed"
    assert scripted_site.max_in_flight == 2
    assert sum(scripted_site.hits.values()) == 12


async def test_rate_limit_per_site(monitor: Monitor, scripted_site: ScriptedSite) -> None:
    async def handler(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/r/{task.label}")

    status, _ = await _run(
        monitor,
        handler,
        [Task(str(n)) for n in range(30)],
        base=scripted_site.url,
        workers=10,
        site_policy=FAST.replace(rate_per_second=20),
    )
    assert status == "completed"
    times = sorted(t for t, _ in scripted_site.arrivals)
    assert len(times) == 30
    # A burst of 20 may go at once; the other 10 drip out at 20 per second.
    assert times[-1] - times[0] >= 0.4


async def test_per_host_policy_overrides_the_default(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.default["/flaky"] = Reply(503)

    async def handler(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/flaky")

    status, _ = await _run(
        monitor,
        handler,
        [Task("t")],
        base=scripted_site.url,
        site_policy=FAST.replace(max_attempts=5),
        sites={"127.0.0.1": FAST.replace(max_attempts=1)},
    )
    assert status == "failed"
    assert scripted_site.hits["/flaky"] == 1


async def test_unreadable_json_is_a_parse_error(
    monitor: Monitor, scripted_site: ScriptedSite
) -> None:
    scripted_site.default["/api"] = Reply(200, '{"truncated": ')

    async def handler(ctx: TaskContext, task: Task) -> None:
        await ctx.http.fetch_json(f"{ctx.params['base']}/api")

    status, events = await _run(monitor, handler, [Task("t")], base=scripted_site.url)
    assert status == "failed"
    (end,) = [e for e in events if e.action == "complete"]
    assert (end.error_type, end.error_stage) == ("parse_error", "extraction")
    assert "invalid JSON" in (end.error_message or "")
