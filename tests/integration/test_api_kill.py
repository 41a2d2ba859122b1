"""``kill -9`` of one of two API processes while an SSE client reads a run from it.

Two ``crawlscope serve`` processes share one PostgreSQL database and one Redis. A remote
reporter sends one run's first batch to A (which so owns the run: it aggregates it) and
the others through B, while a client reads the run's stream from A; A is killed with
SIGKILL mid-stream; the client reconnects to B with the last ``Last-Event-ID`` it saw
(what a browser's ``EventSource`` does) and must receive every event of the run exactly
once: seqs 1..N, contiguous, nothing twice, nothing missing. B takes the run over once
A's lease has run out, and its frame and row then hold the whole run.
Needs PostgreSQL and Redis (skipped without them unless CRAWLSCOPE_REQUIRE_SERVICES is
set).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec
from httpx_sse import aconnect_sse

from crawlscope.events import Action, ActivityEvent
from tests.conftest import derive_totals, fresh_database, fresh_redis_space
from tests.processes import serve_process

RUN = "api-killed"
BATCH = 15
BATCHES = 40
N = BATCH * BATCHES


def run_events() -> list[ActivityEvent]:
    """``run_started``, requests and answers of two workers, ``run_completed``."""
    out = [
        ActivityEvent(
            run_id=RUN, action=Action.RUN_STARTED, extra={"collection": "remote"}, params={}
        )
    ]
    for i in range(N - 2):
        action = Action.FETCHING if i % 2 == 0 else Action.FOUND
        out.append(ActivityEvent(run_id=RUN, action=action, worker_id=1 + i % 2, site="x.test"))
    out.append(ActivityEvent(run_id=RUN, action=Action.RUN_COMPLETED))
    return out


async def read(client: httpx.AsyncClient, after: int, got: list[tuple[int, str]]) -> str:
    """Read the run's stream after seq ``after``, appending ``(seq, event id)`` of its
    activity messages to ``got``; returns ``end`` (the stream ended the run) or
    ``broken`` (the connection died). A ``gap`` fails the test: the client may not lose
    anything."""
    path = f"/api/runs/{RUN}/stream"
    try:
        async with aconnect_sse(
            client, "GET", path, headers={"Last-Event-ID": str(after)}
        ) as source:
            async for message in source.aiter_sse():
                assert message.event != "gap", message.data
                if message.event == "activity":
                    event = json.loads(message.data)
                    assert int(message.id) == event["seq"]
                    got.append((event["seq"], event["id"]))
                elif message.event == "end":
                    return "end"
    except httpx.TransportError:
        return "broken"
    return "closed"


async def test_sse_client_resumes_on_the_other_process_after_kill_9(tmp_path: Path) -> None:
    events = run_events()
    batches = [events[i : i + BATCH] for i in range(0, N, BATCH)]
    async with contextlib.AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(fresh_database("postgresql", tmp_path))
        redis = await stack.enter_async_context(fresh_redis_space())
        server_a = await stack.enter_async_context(serve_process(database_url, redis))
        server_b = await stack.enter_async_context(serve_process(database_url, redis))
        url_a, url_b = server_a.url, server_b.url
        a = await stack.enter_async_context(httpx.AsyncClient(base_url=url_a, timeout=30))
        b = await stack.enter_async_context(httpx.AsyncClient(base_url=url_b, timeout=30))

        async def send(batch: list[ActivityEvent], to: httpx.AsyncClient = b) -> None:
            response = await to.post("/api/ingest", content=msgspec.json.encode({"events": batch}))
            assert response.status_code == 200, response.text
            assert response.json()["accepted"] == len(batch)

        await send(batches[0], a)  # A owns the run from its first batch on
        sent = 1

        async def report() -> None:
            nonlocal sent
            for batch in batches[1:]:
                await send(batch)
                sent += 1
                await asyncio.sleep(0.02)  # a runner's pace: the kill lands mid-run

        got: list[tuple[int, str]] = []
        on_a = asyncio.create_task(read(a, 0, got))
        reporter = asyncio.create_task(report())
        async with asyncio.timeout(30):
            while len(got) < N // 3:
                assert not on_a.done(), on_a.result()
                await asyncio.sleep(0.005)
        server_a.kill()  # SIGKILL
        killed_at = time.monotonic()
        async with asyncio.timeout(10):
            assert await on_a == "broken"
        seen_on_a = len(got)
        sent_at_kill = sent
        # The browser reconnects to the other process with the last id it saw.
        async with asyncio.timeout(40):
            ended = await read(b, got[-1][0], got)
            await reporter

        page = (await b.get(f"/api/runs/{RUN}/events", params={"limit": 5000})).json()
        stored = [(e["seq"], e["id"]) for e in page["events"]]

        # A's lease (10 s) runs out; B, which kept receiving the run, takes it over and
        # rebuilds it from the stored events: the whole run, completed.
        expected = derive_totals(events)
        async with asyncio.timeout(30):
            while True:
                detail = (await b.get(f"/api/runs/{RUN}")).json()
                if detail["totals"] == expected and detail["status"] == "completed":
                    break
                await asyncio.sleep(0.1)
        taken_over_after = time.monotonic() - killed_at
        # And the run's row, which B writes now.
        connection = await asyncpg.connect(database_url)
        stack.push_async_callback(connection.close)
        async with asyncio.timeout(10):
            while True:
                row = await connection.fetchrow(
                    "SELECT status, events FROM runs WHERE id = $1", RUN
                )
                if row is not None and row["status"] == "completed":
                    break
                await asyncio.sleep(0.1)

    assert ended == "end"
    # Killed mid-stream: the client had some of the run, and more was still to come.
    assert N // 3 <= seen_on_a < N
    assert sent_at_kill < BATCHES
    # Every event exactly once, in order: the stored run, 1..N without a hole.
    assert stored == [(seq, event.id) for seq, event in enumerate(events, start=1)]
    assert got == stored
    # Within the lease plus a renewal round and some slack.
    assert taken_over_after < 10 + 5, taken_over_after
    assert row["events"] == N
    print(f"B aggregated the run {taken_over_after:.1f}s after A was killed")
