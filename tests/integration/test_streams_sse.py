"""The SSE streams against a real server, a real demo run and a real SSE client (httpx-sse).

The demo run (tiny scale, about 500 events over a few seconds) starts with the server.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse

from crawlscope.api.live import feeds_for
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from tests.integration.conftest import LiveServer

Stop = Callable[[list[ServerSentEvent]], bool]


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=str(tmp_path / "server.db"), demo=True, demo_scale="tiny")


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


@pytest.fixture
async def demo_run_id(live_server: LiveServer) -> str:
    running = live_server.services.manager.running
    assert running, "the demo run should have been started with the server"
    return running[0].run_id


async def read_stream(
    client: httpx.AsyncClient,
    path: str,
    *,
    stop: Stop | None = None,
    timeout: float = 60,
    **kwargs: Any,
) -> list[ServerSentEvent]:
    """Events until the server closes the stream or ``stop(events)`` holds (then disconnect)."""
    events: list[ServerSentEvent] = []
    async with asyncio.timeout(timeout), aconnect_sse(client, "GET", path, **kwargs) as source:
        source.response.raise_for_status()
        async for sse in source.aiter_sse():
            events.append(sse)
            if stop is not None and stop(events):
                break
    return events


def seqs(events: list[ServerSentEvent]) -> list[int]:
    return [int(e.id.rpartition(":")[2]) for e in events if e.event == "activity"]


async def stored_seqs(live_server: LiveServer, run_id: str) -> list[int]:
    monitor = live_server.services.monitor
    await monitor.flush_events()
    return [e.seq for e in await monitor.store.events.read_all(run_id)]


async def test_per_run_stream_live_resume_rate_and_late_join(
    live_server: LiveServer, client: httpx.AsyncClient, demo_run_id: str
) -> None:
    """Two readers during one demo run, then late joiners once it finished."""
    path = f"/api/runs/{demo_run_id}/stream"
    state_stamps: list[float] = []

    def note_states(events: list[ServerSentEvent]) -> bool:
        if events[-1].event == "state":
            state_stamps.append(time.monotonic())
        return False

    async def resuming_reader() -> tuple[list[ServerSentEvent], list[ServerSentEvent], bool]:
        first = await read_stream(
            client, path + "?after_seq=0", stop=lambda ev: len(seqs(ev)) >= 60
        )
        mid_run = live_server.services.manager.local(demo_run_id) is not None
        await asyncio.sleep(0.5)  # the run goes on while this client is away
        last_id = [e.id for e in first if e.event == "activity"][-1]
        # The URL still says after_seq=0, as an EventSource's URL would: the header wins.
        second = await read_stream(
            client, path + "?after_seq=0", headers={"Last-Event-ID": last_id}
        )
        return first, second, mid_run

    full, (first, second, mid_run) = await asyncio.gather(
        read_stream(client, path + "?after_seq=0", stop=note_states), resuming_reader()
    )
    stored = await stored_seqs(live_server, demo_run_id)
    assert len(stored) > 100

    # Every event, in order, exactly as stored; a state first, the final state and end last.
    assert seqs(full) == stored
    assert full[0].event == "state"
    assert [e.event for e in full[-2:]] == ["state", "end"]
    final = json.loads(full[-2].data)
    assert final["status"] == "completed"
    assert (final["last_seq"], final["totals"]["events"]) == (stored[-1], len(stored))
    assert json.loads(full[-1].data) == {"run_id": demo_run_id, "status": "completed"}
    first_event = json.loads(next(e.data for e in full if e.event == "activity"))
    assert (first_event["run_id"], first_event["seq"]) == (demo_run_id, 1)

    # Resumed after a forced disconnect mid-run: no gap, no duplicate.
    assert mid_run, "the disconnect should happen while the run is going"
    assert seqs(first) + seqs(second) == stored
    assert second[-1].event == "end"

    # State frames: at most 4 a second (0.1 s of slack for delivery jitter at either end).
    window = state_stamps[-1] - state_stamps[0]
    assert len(state_stamps) >= 3, "the run changed constantly: state frames should flow"
    assert len(state_stamps) <= 4 * (window + 0.1) + 1, (len(state_stamps), window)

    # Late joiners to the finished run: history, final state, end.
    late = await read_stream(client, path, params={"after_seq": 0}, timeout=15)
    assert seqs(late) == stored
    assert [e.event for e in late if e.event != "activity"] == ["state", "state", "end"]
    assert json.loads(late[-2].data)["status"] == "completed"
    tail = await read_stream(client, path, headers={"Last-Event-ID": str(stored[-10])})
    assert seqs(tail) == stored[-9:]
    # Without a position the stream starts "now": no history, just the picture and the end.
    bare = await read_stream(client, path, timeout=15)
    assert [e.event for e in bare] == ["state", "state", "end"]


def _big_event(run_id: str, i: int) -> ActivityEvent:
    return ActivityEvent(
        run_id=run_id, action=Action.FETCHING, worker_id=1, extra={"pad": f"{i}" * 16_000}
    )


async def test_a_slow_reader_gets_gap_events_that_account_for_every_lost_event(
    live_server: LiveServer,
) -> None:
    monitor = live_server.services.monitor
    feeds_for(live_server.app).config.queue_size = 8
    await monitor.open_run("slow", "test", {}, None)
    monitor.emit(ActivityEvent(run_id="slow", action=Action.RUN_STARTED))
    # A fixed receive window (no autotuning to 32 MB), so the server's writes block once
    # a few MB are in flight; smaller windows make loopback reads crawl.
    transport = httpx.AsyncHTTPTransport(
        socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)]
    )
    events: list[ServerSentEvent] = []
    async with (
        httpx.AsyncClient(base_url=live_server.url, transport=transport, timeout=30) as slow,
        aconnect_sse(slow, "GET", "/api/runs/slow/stream") as source,
    ):
        stream = source.aiter_sse()
        events.append(await anext(stream))  # connected: the first state frame
        for i in range(600):  # ~10 MB while the client reads nothing
            monitor.emit(_big_event("slow", i))
            if i % 20 == 0:
                await asyncio.sleep(0.005)
        monitor.emit(ActivityEvent(run_id="slow", action=Action.RUN_COMPLETED))
        async with asyncio.timeout(30):
            events.extend([sse async for sse in stream])
    gaps = [json.loads(e.data) for e in events if e.event == "gap"]
    assert gaps, "the reader fell far behind a queue of 8: it must be told"
    # Received events plus everything the gaps name is exactly seq 2..602, in order.
    covered: list[int] = []
    for e in events:
        if e.event == "gap":
            gap = json.loads(e.data)
            assert gap["after_seq"] == (covered[-1] if covered else 1)
            assert gap["events_url"].startswith(
                f"/api/runs/slow/events?after_seq={gap['after_seq']}"
            )
            covered.extend(range(gap["after_seq"] + 1, gap["after_seq"] + 1 + gap["missed"]))
        elif e.event == "activity":
            covered.append(int(e.id))
    assert covered == list(range(2, 603))
    assert events[-1].event == "end"
    # What a gap names can be fetched from the store, as its events_url says.
    async with httpx.AsyncClient(base_url=live_server.url) as c:
        page = (await c.get(gaps[0]["events_url"])).json()
    first_gap = gaps[0]
    assert [e["seq"] for e in page["events"]] == list(
        range(first_gap["after_seq"] + 1, first_gap["after_seq"] + 1 + first_gap["missed"])
    )


async def test_keepalive_comments_on_an_idle_stream(live_server: LiveServer) -> None:
    feeds_for(live_server.app).config.keepalive = 0.2
    monitor = live_server.services.monitor
    await monitor.open_run("idle", "test", {}, None)
    comments = 0
    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=10) as c,
        asyncio.timeout(10),
        c.stream("GET", "/api/runs/idle/stream") as response,
    ):
        async for line in response.aiter_lines():
            comments += line.startswith(":")
            if comments == 2:
                break
    assert comments == 2


async def test_installation_stream_with_and_without_focus(
    live_server: LiveServer, client: httpx.AsyncClient, demo_run_id: str
) -> None:
    events = await read_stream(
        client,
        "/api/stream",
        stop=lambda ev: (
            any(e.event == "state" for e in ev) and any(e.event == "system" for e in ev)
        ),
    )
    system = json.loads(next(e.data for e in events if e.event == "system"))
    assert {"cpu_percent", "process_rss_mb", "active_runs", "subscribers"} <= set(system)
    state = json.loads(next(e.data for e in events if e.event == "state"))
    assert state["run_id"] == demo_run_id
    assert state["workers"] == []  # compact: no focus

    def focus_done(ev: list[ServerSentEvent]) -> bool:
        return any(e.event == "end" for e in ev)

    focused = await read_stream(
        client, "/api/stream", params={"run_id": demo_run_id, "after_seq": 0}, stop=focus_done
    )
    ids = [e.id for e in focused if e.event == "activity" and e.id]
    assert ids[0] == f"{demo_run_id}:1"
    got = seqs(focused)
    assert got == await stored_seqs(live_server, demo_run_id)
    full = [json.loads(e.data) for e in focused if e.event == "state"]
    assert any(s["workers"] for s in full if s["run_id"] == demo_run_id)
    # Unfocused activity is lifecycle only, without ids.
    unfocused = [e for e in events if e.event == "activity"]
    assert all(not e.id for e in unfocused)
    assert all(
        json.loads(e.data)["action"].startswith(("run_", "phase_", "breaker_")) for e in unfocused
    )

    resumed = await read_stream(
        client,
        "/api/stream",
        params={"run_id": demo_run_id},
        headers={"Last-Event-ID": f"{demo_run_id}:{got[-5]}"},
        stop=focus_done,
    )
    assert seqs(resumed) == got[-4:]


async def test_bad_requests(client: httpx.AsyncClient, demo_run_id: str) -> None:
    missing = await client.get("/api/runs/no-such-run/stream")
    assert missing.status_code == 404
    assert missing.json()["error"]["field"] == "run_id"
    assert (await client.get("/api/stream", params={"run_id": "no-such-run"})).status_code == 404
    bad = await client.get(f"/api/runs/{demo_run_id}/stream", headers={"Last-Event-ID": "soon"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "Last-Event-ID"
    negative = await client.get(f"/api/runs/{demo_run_id}/stream", params={"after_seq": -1})
    assert negative.status_code == 422
    assert negative.json()["error"]["field"] == "after_seq"
