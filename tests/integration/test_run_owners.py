"""Who aggregates a remote run that several processes ingest (``owned_runs.py``).

Two monitors (each with its own ``RedisBus``, as two API processes have) on one
PostgreSQL database and one Redis ingest batches of one run: the first to receive one
owns the run and aggregates every batch; the other shows the owner's published frame;
a monitor that stops hands the run over at once; one whose lease another process took
drops the run. Real PostgreSQL and Redis; skipped without them unless
CRAWLSCOPE_REQUIRE_SERVICES is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from crawlscope.bus.redis_streams import RedisBus
from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.status import RunStatus
from crawlscope.timestamps import utc_now
from tests.conftest import RedisSpace, fresh_database, fresh_redis_space

RUN = "owned"


def batch(size: int, *, first: bool = False) -> list[ActivityEvent]:
    out = [
        ActivityEvent(run_id=RUN, action=Action.FOUND, worker_id=1, site="x.test")
        for _ in range(size)
    ]
    if first:
        out[0] = ActivityEvent(
            run_id=RUN, action=Action.RUN_STARTED, extra={"collection": "remote"}, params={}
        )
    return out


@pytest.fixture
async def space(tmp_path: Path) -> AsyncIterator[tuple[str, RedisSpace]]:
    async with (
        fresh_database("postgresql", tmp_path) as database_url,
        fresh_redis_space() as redis,
    ):
        yield database_url, redis


@contextlib.asynccontextmanager
async def monitor(database_url: str, redis: RedisSpace) -> AsyncIterator[Monitor]:
    bus = RedisBus(redis.url, prefix=redis.prefix)
    mon = Monitor(database_url, bus=bus, save_interval=0.1, announce=False)
    await mon.start()
    try:
        yield mon
    finally:
        await mon.stop(timeout=5)


async def ingest(mon: Monitor, events: list[ActivityEvent]) -> None:
    """What the ingest endpoint does: publish, answer once stored."""
    await mon.ingest(events)
    await mon.flush_events()


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait until ``check`` holds (the frames follow the bus a moment later)."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def events_shown(mon: Monitor, count: int) -> bool:
    frame = await mon.frames.frame(RUN)
    return frame is not None and frame.totals.events == count


async def test_the_first_receiver_owns_and_the_other_shows_its_frame(
    space: tuple[str, RedisSpace],
) -> None:
    database_url, redis = space
    async with monitor(database_url, redis) as b:
        async with monitor(database_url, redis) as a:
            await ingest(a, batch(10, first=True))
            for index in range(6):
                await ingest([b, a][index % 2], batch(10))
            # Both answer with the whole run, from A's one aggregate.
            await until(lambda: events_shown(a, 70))
            await until(lambda: events_shown(b, 70))
            assert a.frames.live(RUN) is not None
            # B holds no aggregate of its own, not even of its part.
            assert b.frames.live(RUN) is None
            assert b.live_frame(RUN) is None

        # A stopped: it wrote the run's whole frame and released the lease, so B owns the
        # run at its next batch (no waiting for the lease to run out).
        stored = await b.store.runs.get(RUN)
        assert stored is not None
        assert stored.totals.events == 70
        await ingest(b, batch(5))
        assert b.frames.live(RUN) is not None
        await until(lambda: events_shown(b, 75))
        await b.flush()
        row = await b.store.runs.get(RUN)
        assert row is not None
        assert row.totals.events == 75


async def test_an_owner_whose_lease_was_taken_drops_the_run(
    space: tuple[str, RedisSpace],
) -> None:
    database_url, redis = space
    async with monitor(database_url, redis) as a:
        await ingest(a, batch(10, first=True))
        await until(lambda: events_shown(a, 10))

        async def row_written() -> bool:
            row = await a.store.runs.get(RUN)
            return row is not None and row.totals.events == 10

        # The row follows the aggregate by up to save_interval: written before A loses it.
        await until(row_written)
        client = aioredis.from_url(redis.url)
        try:
            # Another process claimed the run after A's lease ran out (A stalled).
            await client.set(f"{redis.prefix}:owner:{RUN}", b"someone-else", px=60_000)

            async def dropped() -> bool:
                return a.frames.live(RUN) is None

            await until(dropped)
            await ingest(a, batch(5))  # still accepted and stored, not aggregated here
            assert a.frames.live(RUN) is None
            assert await a.store.events.max_seq(RUN) == 15
            assert await client.get(f"{redis.prefix}:owner:{RUN}") == b"someone-else"
            # A no longer writes the run's row: that is the new owner's.
            await a.flush()
            row = await a.store.runs.get(RUN)
            assert row is not None
            assert row.totals.events == 10
        finally:
            await client.aclose()


async def status_is(mon: Monitor, status: RunStatus, events: int | None = None) -> bool:
    frame = await mon.frames.frame(RUN)
    if frame is None or frame.status is not status:
        return False
    return events is None or frame.totals.events == events


async def test_interrupted_runs_come_back_through_their_owner(
    space: tuple[str, RedisSpace],
) -> None:
    database_url, redis = space
    async with monitor(database_url, redis) as b:
        async with monitor(database_url, redis) as a:
            await ingest(a, batch(10, first=True))
            await until(lambda: status_is(b, RunStatus.RUNNING, 10))
            # The owner marks the run interrupted (its runner went silent); the other
            # process shows it so at once, from the owner's frame.
            await a.interrupt(RUN, utc_now())
            await until(lambda: status_is(b, RunStatus.INTERRUPTED))
            # The runner reports again, through B: its owner rebuilds it from the store.
            assert await b.revive_runs([RUN]) == []  # A owns it: not B's to rebuild
            await ingest(b, batch(5))
            await until(lambda: status_is(a, RunStatus.RUNNING, 15))
            await until(lambda: status_is(b, RunStatus.RUNNING, 15))
            await a.interrupt(RUN, utc_now())
        # A stopped (its lease released) with the run interrupted: the next request of
        # the runner, through B, revives it there.
        await until(lambda: status_is(b, RunStatus.INTERRUPTED, 15))
        assert await b.revive_runs([RUN]) == [RUN]
        assert b.frames.live(RUN) is not None
        row = await b.store.runs.get(RUN)
        assert row is not None
        assert row.status is RunStatus.RUNNING
        assert row.totals.events == 15


async def test_a_batch_stored_after_a_later_one_counts_when_the_run_ends(
    space: tuple[str, RedisSpace],
) -> None:
    """Two batches of one run sent at once: B numbers its batch first, A stores and shows
    its later one first, so the stream refuses B's (readers get a gap and the store). The
    owner's fold finds a hole in the store then; when the run ends it rebuilds from the
    store, which holds B's batch by then."""
    database_url, redis = space
    async with monitor(database_url, redis) as b, monitor(database_url, redis) as a:
        await ingest(a, batch(10, first=True))  # A owns the run
        await ingest(b, batch(1))
        late = batch(5)
        await b.bus.reserve(RUN, len(late))  # B numbers 12..16 ...
        await ingest(a, batch(5))  # ... A numbers 17..21 and shows them first
        await until(lambda: events_shown(a, 16))  # 12..16 are nowhere yet
        for event in late:  # what the rest of ``Monitor.ingest`` does
            b.bus.publish(event)
        await b.flush_events()
        assert await b.store.events.count(RUN) == 21
        end = ActivityEvent(run_id=RUN, action=Action.RUN_COMPLETED)
        await ingest(a, [end])
        await until(lambda: status_is(a, RunStatus.COMPLETED, 22))
        await until(lambda: status_is(b, RunStatus.COMPLETED, 22))
        await a.flush()
        row = await a.store.runs.get(RUN)
        assert row is not None
        assert row.totals.events == 22


async def test_a_runner_heard_only_by_another_process_is_not_swept_by_the_owner(
    space: tuple[str, RedisSpace],
) -> None:
    """A paused runner only polls, and its polls may all go to B: A, the owner, hears
    nothing of it, but B notes it for A."""
    database_url, redis = space
    async with monitor(database_url, redis) as b, monitor(database_url, redis) as a:
        await ingest(a, batch(10, first=True))
        await until(lambda: events_shown(a, 10))
        await asyncio.sleep(1.2)  # A has heard nothing for longer than ``stale_after``

        async def sweep() -> list[str]:
            return await a.sweep_stale_runs(
                running_here=lambda _: False, heard={RUN: time.monotonic() - 60}, stale_after=1.0
            )

        await b.revive_runs([RUN])  # what B's ingest endpoint does for each request
        assert await sweep() == []
        assert a.frames.live(RUN) is not None
        # Without B's word, the run is silent: swept.
        client = aioredis.from_url(redis.url)
        try:
            await client.delete(f"{redis.prefix}:heard:{RUN}")
        finally:
            await client.aclose()
        assert await sweep() == [RUN]
        await until(lambda: status_is(b, RunStatus.INTERRUPTED, 10))
