"""Two ``crawlscope serve`` processes on one PostgreSQL database and one Redis.

One remote reporter sends the batches of one run to both processes in turn: the run's
seq stays contiguous with nothing lost or doubled (a counter in Redis numbers each
batch), an SSE client on one process sees the events ingested through the other, and a
client that resumes with ``Last-Event-ID`` on the other process receives every event
exactly once. The run is aggregated once, by the process that owns it, from every
batch: both processes answer ``GET /api/runs/{id}`` with the totals of everything sent,
and the run's row never goes back. Needs PostgreSQL and Redis (skipped without them unless
CRAWLSCOPE_REQUIRE_SERVICES is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from httpx_sse import aconnect_sse

from crawlscope.events import Action, ActivityEvent
from tests.conftest import RedisSpace, derive_totals, fresh_database, fresh_redis_space
from tests.integration.test_metrics import scrape, total
from tests.processes import serve_process, until

RUN = "two-servers"
BATCH = 25
BATCHES = 16
N = BATCH * BATCHES


@contextlib.asynccontextmanager
async def serve(database_url: str, redis: RedisSpace) -> AsyncIterator[str]:
    """``crawlscope serve`` in a process of its own on a free port; killed afterwards."""
    async with serve_process(database_url, redis) as server:
        yield server.url


def run_events(run_id: str = RUN) -> list[ActivityEvent]:
    """``run_started``, requests and answers of three workers, ``run_completed``."""
    out = [
        ActivityEvent(
            run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "remote"}, params={}
        )
    ]
    for i in range(N - 2):
        action = Action.FETCHING if i % 2 == 0 else Action.FOUND
        out.append(ActivityEvent(run_id=run_id, action=action, worker_id=1 + i % 3, site="x.test"))
    out.append(ActivityEvent(run_id=run_id, action=Action.RUN_COMPLETED))
    return out


async def read_stream(
    client: httpx.AsyncClient,
    until_seq: int,
    got: list[tuple[int, str]],
    opened: asyncio.Event,
    **kwargs: object,
) -> None:
    """Append ``(seq, event id)`` of the run's activity messages to ``got`` until a seq of
    at least ``until_seq`` arrives; ``opened`` is set at the first message (the run's
    state); a ``gap`` message fails the test."""
    async with aconnect_sse(client, "GET", f"/api/runs/{RUN}/stream", **kwargs) as source:
        async for message in source.aiter_sse():
            opened.set()
            assert message.event != "gap", message.data
            if message.event == "activity":
                event = json.loads(message.data)
                assert int(message.id) == event["seq"]
                got.append((event["seq"], event["id"]))
                if event["seq"] >= until_seq:
                    return


async def post(client: httpx.AsyncClient, events: list[ActivityEvent]) -> None:
    response = await client.post("/api/ingest", content=msgspec.json.encode({"events": events}))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(events)


async def test_one_run_ingested_through_two_processes(tmp_path: Path) -> None:
    events = run_events()
    batches = [events[i : i + BATCH] for i in range(0, N, BATCH)]
    async with contextlib.AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(fresh_database("postgresql", tmp_path))
        redis = await stack.enter_async_context(fresh_redis_space())
        # One after the other: the first migrates the new database.
        url_a = await stack.enter_async_context(serve(database_url, redis))
        url_b = await stack.enter_async_context(serve(database_url, redis))
        a = await stack.enter_async_context(httpx.AsyncClient(base_url=url_a, timeout=30))
        b = await stack.enter_async_context(httpx.AsyncClient(base_url=url_b, timeout=30))
        clients = [a, b]

        await post(a, batches[0])
        # Live on B, which has not received anything of the run itself.
        seen_on_b: list[tuple[int, str]] = []
        cut_at = BATCH * (BATCHES // 2)
        opened = asyncio.Event()
        reader_b = asyncio.create_task(read_stream(b, cut_at, seen_on_b, opened))
        async with asyncio.timeout(10):
            await opened.wait()
        for index in range(1, BATCHES // 2):
            await post(clients[index % 2], batches[index])
        async with asyncio.timeout(30):
            await reader_b  # ends once it saw ``cut_at``: the client goes away there
        last_id = seen_on_b[-1][0]

        # It reconnects to the other process with the last id it saw, while batches go on.
        seen_on_a: list[tuple[int, str]] = []
        reader_a = asyncio.create_task(
            read_stream(a, N, seen_on_a, asyncio.Event(), headers={"Last-Event-ID": str(last_id)})
        )
        for index in range(BATCHES // 2, BATCHES):
            await post(clients[index % 2], batches[index])
        async with asyncio.timeout(30):
            await reader_a

        page = (await b.get(f"/api/runs/{RUN}/events", params={"limit": 5000})).json()
        stored = [(e["seq"], e["id"]) for e in page["events"]]

    # Every event stored once, in the order sent, numbered 1..N without a hole.
    assert stored == [(seq, event.id) for seq, event in enumerate(events, start=1)]
    # B showed what A ingested, live from where it joined, in order, nothing twice.
    first_on_b = seen_on_b[0][0]
    assert first_on_b == BATCH + 1  # it joined after the first batch
    assert [s for s, _ in seen_on_b] == list(range(first_on_b, last_id + 1))
    # The resumed client got exactly the rest.
    assert [s for s, _ in seen_on_a] == list(range(last_id + 1, N + 1))
    assert seen_on_b + seen_on_a == stored[first_on_b - 1 :]


async def two_servers(
    stack: contextlib.AsyncExitStack, tmp_path: Path
) -> tuple[str, httpx.AsyncClient, httpx.AsyncClient]:
    """A new PostgreSQL database and Redis space, two servers on them and a client of
    each (all closed with ``stack``): the database's URL and the clients of A and B."""
    database_url = await stack.enter_async_context(fresh_database("postgresql", tmp_path))
    redis = await stack.enter_async_context(fresh_redis_space())
    url_a = await stack.enter_async_context(serve(database_url, redis))
    url_b = await stack.enter_async_context(serve(database_url, redis))
    a = await stack.enter_async_context(httpx.AsyncClient(base_url=url_a, timeout=30))
    b = await stack.enter_async_context(httpx.AsyncClient(base_url=url_b, timeout=30))
    return database_url, a, b


async def totals_of(client: httpx.AsyncClient, run_id: str) -> dict[str, object]:
    response = await client.get(f"/api/runs/{run_id}")
    assert response.status_code == 200, response.text
    totals: dict[str, object] = response.json()["totals"]
    return totals


async def test_one_aggregate_for_a_run_ingested_through_two_processes(tmp_path: Path) -> None:
    """Batches alternate between the processes; after each one both answer with the
    totals of everything sent so far (never one process's part of it), and the row's
    totals, sampled all along, never decrease."""
    run_id = "two-servers-frames"
    events = run_events(run_id)
    batches = [events[i : i + BATCH] for i in range(0, N, BATCH)]
    row_totals: list[int] = []
    async with contextlib.AsyncExitStack() as stack:
        database_url, a, b = await two_servers(stack, tmp_path)
        clients = [a, b]
        connection = await asyncpg.connect(database_url)
        stack.push_async_callback(connection.close)

        async def sample_row() -> None:
            while True:
                found = await connection.fetchval("SELECT events FROM runs WHERE id = $1", run_id)
                if found is not None:
                    row_totals.append(found)
                    if found == N:
                        row_complete.set()
                await asyncio.sleep(0.02)

        row_complete = asyncio.Event()
        sampler = asyncio.create_task(sample_row())
        states: list[tuple[str, dict[str, object]]] = []
        ended: list[str] = []

        async def read_states(client: httpx.AsyncClient) -> None:
            """The run's stream on the process that does not own it: its state frames."""
            path = f"/api/runs/{run_id}/stream"
            async with aconnect_sse(client, "GET", path) as source:
                async for message in source.aiter_sse():
                    if message.event == "state":
                        frame = json.loads(message.data)
                        states.append((frame["status"], frame["totals"]))
                    elif message.event == "end":
                        ended.append(json.loads(message.data)["status"])
                        return

        state_reader: asyncio.Task[None] | None = None
        sent = 0
        samples = 0
        lags: list[float] = []
        for index, batch in enumerate(batches):
            await post(clients[index % 2], batch)
            sent += len(batch)
            if state_reader is None:  # A owns the run (its first batch went there)
                state_reader = asyncio.create_task(read_states(b))
            expected = derive_totals(events[:sent])
            # Both processes show the owner's aggregate: a moment behind at most, never
            # above what was sent, and soon exactly it (a part would never get there).
            answered = time.monotonic()
            async with asyncio.timeout(10):
                while True:
                    answers = [await totals_of(client, run_id) for client in clients]
                    samples += 1
                    for answer in answers:
                        assert isinstance(answer["events"], int)
                        assert answer["events"] <= sent, (answer, sent)
                    if all(answer == expected for answer in answers):
                        lags.append(time.monotonic() - answered)
                        break
                    await asyncio.sleep(0.01)
        # After the end, the row too (its final write follows the run's end; the owner's
        # writer runs every second, later on a machine busy with other work).
        async with asyncio.timeout(30):
            await row_complete.wait()
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        assert state_reader is not None
        async with asyncio.timeout(10):
            await state_reader
        final = [await totals_of(client, run_id) for client in clients]
        statuses = [(await c.get(f"/api/runs/{run_id}")).json()["status"] for c in clients]

    assert final == [derive_totals(events)] * 2
    assert final[0]["events"] == N
    assert statuses == ["completed", "completed"]
    assert samples >= BATCHES
    # B's stream sent A's frames: all along the run, never going back, and the last one
    # (just before ``end``) is the completed run's.
    assert ended == ["completed"]
    assert len(states) >= 3
    counts = [int(totals["events"]) for _, totals in states]  # type: ignore[call-overload]
    assert counts == sorted(counts), counts
    assert states[-1] == ("completed", derive_totals(events))
    # The row was written from one complete aggregate: its totals never went back.
    assert len(row_totals) > 10
    assert row_totals == sorted(row_totals), row_totals
    lags.sort()
    print(
        f"both processes showed a batch {lags[len(lags) // 2] * 1000:.0f} ms (median), "
        f"{lags[-1] * 1000:.0f} ms (max) after its ingest was answered"
    )


async def installation_gauge(client: httpx.AsyncClient, status: str) -> float:
    """``crawlscope_installation_live_runs`` of ``status`` in ``client``'s ``/metrics``."""
    metrics = await scrape(client)
    name = "crawlscope_installation_live_runs"
    return total(metrics[name], name, collection="remote", status=status)


async def test_the_installation_stream_and_metrics_of_the_other_process_show_the_run(
    tmp_path: Path,
) -> None:
    """A owns the run (its first batch went there); batches alternate. B's ``/api/stream``
    (what the Overview and the runs list read) sends the run's state frames as A's
    aggregate grows, then the completed one, once; B's ``/metrics`` counts the run among
    the installation's live runs, not among its own (those add up across servers)."""
    run_id = "two-servers-installation"
    events = run_events(run_id)
    batches = [events[i : i + BATCH] for i in range(0, N, BATCH)]
    states: list[dict[str, Any]] = []
    lags: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        _, a, b = await two_servers(stack, tmp_path)
        clients = [a, b]
        opened = asyncio.Event()

        async def read_installation() -> None:
            async with aconnect_sse(b, "GET", "/api/stream") as source:
                async for message in source.aiter_sse():
                    opened.set()  # the first message is a system sample
                    if message.event == "state":
                        frame = json.loads(message.data)
                        if frame["run_id"] == run_id:
                            states.append(frame)

        reader = asyncio.create_task(read_installation())
        try:
            async with asyncio.timeout(10):
                await opened.wait()
            sent = 0
            for index, batch in enumerate(batches):
                await post(clients[index % 2], batch)
                sent += len(batch)
                answered = time.monotonic()
                await until(
                    lambda count=sent: bool(states) and states[-1]["totals"]["events"] == count,
                    f"B's installation stream shows {sent} events",
                    timeout=10,
                )
                lags.append(time.monotonic() - answered)
                if index == 1:
                    assert await installation_gauge(b, "running") == 1
                    assert await installation_gauge(a, "running") == 1
                    own = (await scrape(b))["crawlscope_live_runs"]
                    assert total(own, "crawlscope_live_runs") == 0  # A's, not B's
            assert states[-1]["status"] == "completed"
            await asyncio.sleep(1.0)  # nothing more comes for the ended run
            assert await installation_gauge(b, "completed") == 1
            assert await installation_gauge(b, "running") == 0
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    finals = [frame for frame in states if frame["status"] == "completed"]
    assert len(finals) == 1
    assert states[-1] is finals[0]
    assert finals[0]["totals"] == derive_totals(events)
    counts = [int(frame["totals"]["events"]) for frame in states]
    assert counts == sorted(counts), counts
    assert len(set(counts)) >= BATCHES  # one frame at least per batch: live, not at the end
    lags.sort()
    print(
        f"B's installation stream showed a batch ingested anywhere "
        f"{lags[len(lags) // 2] * 1000:.0f} ms (median), {lags[-1] * 1000:.0f} ms (max) "
        f"after its ingest was answered"
    )
