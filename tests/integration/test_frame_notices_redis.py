"""Frame notices on real Redis: an owner's ``publish`` announces what it wrote on the
installation's notices stream (bounded), and every other bus's reader (the one that
blocks on the lifecycle stream) keeps the newest notice per run.

Skipped without Redis unless CRAWLSCOPE_REQUIRE_SERVICES is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest
import redis.asyncio as aioredis

from crawlscope.aggregate import RunFrame
from crawlscope.bus.owners import PublishedFrame
from crawlscope.bus.redis_streams import RedisBus
from crawlscope.status import RunStatus
from tests.conftest import RedisSpace
from tests.processes import until

RUNNING, COMPLETED = RunStatus.RUNNING, RunStatus.COMPLETED


@pytest.fixture
async def buses(redis_space: RedisSpace) -> AsyncIterator[Callable[[], RedisBus]]:
    made: list[RedisBus] = []

    def make() -> RedisBus:
        bus = RedisBus(redis_space.url, prefix=redis_space.prefix)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.close()


def frame(run_id: str, status: RunStatus, version: int) -> PublishedFrame:
    body = msgspec.json.encode(RunFrame(run_id=run_id, status=status, last_seq=version))
    return PublishedFrame(body, version, status)


async def test_what_an_owner_publishes_reaches_every_other_process_once_per_version(
    buses: Callable[[], RedisBus],
) -> None:
    a, b = buses(), buses()
    await a.start()
    await b.start()
    owner, other = a.run_owners(), b.run_owners()
    assert await owner.claim("r1")
    wakeup = asyncio.Event()
    other.watch(wakeup)

    assert await owner.publish({"r1": frame("r1", RUNNING, 3)}) == []
    await until(lambda: bool(other.remote_runs()), "heard of", 5)
    [seen] = other.remote_runs()
    assert (seen.run_id, seen.status, seen.owner) == ("r1", RUNNING, owner.token)
    assert wakeup.is_set()
    # The notice is read after its frame was written: the frame is there.
    published = await other.published("r1")
    assert published is not None
    assert published.last_seq == 3
    # The owner hears its own notices too, but its runs come from its aggregator.
    await until(lambda: len(a.frame_notices) == 1, "heard of", 5)
    assert owner.remote_runs() == []

    # A renewal (no frame) announces nothing; the same version again changes nothing.
    wakeup.clear()
    await owner.publish({"r1": None})
    await owner.publish({"r1": frame("r1", RUNNING, 3)})
    await asyncio.sleep(0.3)
    assert other.remote_runs() == [seen]
    assert not wakeup.is_set()

    await owner.publish({"r1": frame("r1", COMPLETED, 4)})
    await until(lambda: other.remote_runs()[0].ended, "heard of", 5)
    [final] = other.remote_runs()
    assert final.version > seen.version
    assert wakeup.is_set()


async def test_a_run_whose_lease_is_lost_is_not_announced_and_the_stream_stays_bounded(
    buses: Callable[[], RedisBus], redis_space: RedisSpace
) -> None:
    a, b = buses(), buses()
    await a.start()
    await b.start()
    owner, other = a.run_owners(), b.run_owners()
    owner.notices_maxlen = 10
    assert await owner.claim("mine")
    client = aioredis.from_url(redis_space.url)
    try:
        await client.set(f"{redis_space.prefix}:owner:theirs", b"someone-else", px=60_000)
        lost = await owner.publish(
            {"theirs": frame("theirs", RUNNING, 1), "mine": frame("mine", RUNNING, 1)}
        )
        assert lost == ["theirs"]
        await until(lambda: bool(other.remote_runs()), "heard of", 5)
        assert [run.run_id for run in other.remote_runs()] == ["mine"]
        # One entry per round, whatever the number of runs; trimmed (MAXLEN ~: by whole
        # nodes of 100 entries) far below what was written.
        for version in range(2, 402):
            await owner.publish({"mine": frame("mine", RUNNING, version)})
        length = await client.xlen(f"{redis_space.prefix}:frames")
        assert 10 <= length <= 150, length
        await owner.publish({"mine": frame("mine", COMPLETED, 402)})
        await until(lambda: other.remote_runs()[0].ended, "heard of", 5)
    finally:
        await client.aclose()
