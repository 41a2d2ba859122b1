"""The installation stream of a process shows the runs another process owns.

Two monitors (each with its own ``RedisBus``, as two API processes have) on one
PostgreSQL database and one Redis: A owns a remote run (its first batch went there) and
publishes its frames; B's installation feed (``/api/stream``'s generator) sends them as
they change, once per change, the final one once; A's feed sends the run's frames from
A's own aggregator. Real PostgreSQL and Redis; skipped without them unless
CRAWLSCOPE_REQUIRE_SERVICES is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

from crawlscope.api.live import LiveConfig, LiveFeeds, LiveSources, Message
from crawlscope.events import Action, ActivityEvent
from crawlscope.status import RunStatus
from tests.conftest import fresh_database, fresh_redis_space
from tests.integration.test_run_owners import RUN, batch, ingest, monitor, until

Frames = list[dict[str, Any]]


async def collect(feed: AsyncGenerator[list[Message], None], into: Frames) -> None:
    """The ``state`` frames of ``RUN`` that ``feed`` sends, in order."""
    async for chunk in feed:
        for message in chunk:
            if message.kind == "state":
                frame = json.loads(message.data)
                if frame["run_id"] == RUN:
                    into.append(frame)


@contextlib.asynccontextmanager
async def reading(feeds: LiveFeeds, into: Frames) -> AsyncIterator[None]:
    feed = feeds.installation_feed()
    task = asyncio.create_task(collect(feed, into))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await feed.aclose()


async def test_a_run_owned_elsewhere_shows_on_the_installation_stream_once_per_change(
    tmp_path: Path,
) -> None:
    config = LiveConfig(state_interval=0.05, system_interval=3600)
    on_a: Frames = []
    on_b: Frames = []
    async with (
        fresh_database("postgresql", tmp_path) as database_url,
        fresh_redis_space() as redis,
        monitor(database_url, redis) as a,
        monitor(database_url, redis) as b,
    ):
        feeds_a = LiveFeeds(LiveSources.of(a), config)
        feeds_b = LiveFeeds(LiveSources.of(b), config)
        async with reading(feeds_a, on_a), reading(feeds_b, on_b):
            await ingest(a, batch(10, first=True))  # A owns the run
            sent = 10
            for index in range(6):
                await ingest([b, a][index % 2], batch(5))
                sent += 5

                async def shown_on_b(count: int = sent) -> bool:
                    return bool(on_b) and on_b[-1]["totals"]["events"] == count

                await until(shown_on_b)
            # B lists the run among those owned elsewhere, never among its own.
            assert [run.run_id for run in b.frames.remote_runs()] == [RUN]
            assert b.frames.live_runs() == []
            assert a.frames.remote_runs() == []
            await ingest(b, [ActivityEvent(run_id=RUN, action=Action.RUN_COMPLETED)])
            sent += 1

            async def ended_on_b() -> bool:
                return bool(on_b) and on_b[-1]["status"] == "completed"

            await until(ended_on_b)
            # Quiet now: nothing more is sent for the run, and the final frame was once.
            await asyncio.sleep(1.0)
            remote = b.frames.remote_runs()
            assert [(run.run_id, run.status) for run in remote] == [(RUN, RunStatus.COMPLETED)]

    finals_b = [f for f in on_b if f["status"] == "completed"]
    assert len(finals_b) == 1
    assert finals_b[0]["totals"]["events"] == sent
    assert on_b[-1] is finals_b[0]
    counts = [f["totals"]["events"] for f in on_b]
    assert counts == sorted(counts), counts
    assert len(set(counts)) >= 5  # it moved live, batch by batch
    # A's own stream: its aggregator's frames, the final one once too.
    assert [f["status"] for f in on_a].count("completed") == 1
    assert on_a[-1]["totals"]["events"] == sent
