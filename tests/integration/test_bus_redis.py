"""What only the Redis Streams bus does: several processes (here: several buses, each with
its own connections and reader) on one Redis, the replay horizon of a bounded stream, a
bounded outbox while Redis is away, numbering that survives a lost counter (even when the
process numbering next knows only an old part of the run: it asks the store).

Real Redis; skipped without one unless CRAWLSCOPE_REQUIRE_SERVICES is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import msgspec
import pytest
import redis.asyncio as aioredis

from crawlscope.bus import BusUnavailable, batch_key
from crawlscope.bus.redis_streams import RedisBus
from crawlscope.events import Action, ActivityEvent, new_event_id
from crawlscope.ingest import Ingestor, decode_batch
from crawlscope.ingest.wire import IngestUnavailable
from crawlscope.monitor import Monitor
from tests.conftest import RedisSpace
from tests.integration.test_bus_contract import _seqs, collect


def _ev(run_id: str = "a", action: Action = Action.FOUND) -> ActivityEvent:
    return ActivityEvent(run_id=run_id, action=action, worker_id=1)


@pytest.fixture
async def buses(redis_space: RedisSpace) -> AsyncIterator[Callable[..., RedisBus]]:
    """Makes started buses on the test's key prefix (closed afterwards)."""
    made: list[RedisBus] = []

    def make(**options: int) -> RedisBus:
        bus = RedisBus(redis_space.url, prefix=redis_space.prefix, **options)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.close()


async def _ingest(bus: RedisBus, count: int, run_id: str = "a") -> list[ActivityEvent]:
    """What ``Monitor.ingest`` does with a batch: reserve, publish, deliver once stored."""
    await bus.reserve(run_id, count)
    events = [bus.publish(_ev(run_id)) for _ in range(count)]
    bus.deliver(events)
    return events


async def test_two_processes_number_one_run_contiguously_and_see_each_other(
    buses: Callable[..., RedisBus],
) -> None:
    a, b = buses(), buses()
    await a.start()
    await b.start()
    numbered: list[int] = []
    for index in range(10):
        bus = (a, b)[index % 2]
        numbered += [e.seq for e in await _ingest(bus, 7)]
        await bus.settled()  # the ingest answer waits for storage; the next batch follows
    assert numbered == list(range(1, 71))
    # A reader on either process sees the whole run, whichever process numbered it.
    follow = await b.follow("a", 0)
    assert follow is not None
    assert follow.replay is not None
    assert [e.seq for e in follow.replay] == numbered
    assert follow.last_seq == 70
    await _ingest(a, 3)
    assert _seqs(await collect(follow.feed, 73)) == [71, 72, 73]
    # Resuming on the other process from the last seq seen: the rest, once.
    resumed = await a.follow("a", 71)
    assert resumed is not None
    assert [e.seq for e in resumed.replay or []] == [72, 73]
    assert b.last_seq("a") == 73


async def test_a_lifecycle_feed_sees_every_process_s_runs(buses: Callable[..., RedisBus]) -> None:
    a, b = buses(), buses()
    await a.start()
    await b.start()
    lifecycle = b.subscribe_lifecycle()
    a.deliver([a.publish(_ev("r1", Action.RUN_STARTED)), a.publish(_ev("r1"))])
    a.deliver([a.publish(_ev("r1", Action.RUN_COMPLETED))])
    got = await collect(lifecycle, 3, "r1")
    assert [e.action for e in got if isinstance(e, ActivityEvent)] == [
        Action.RUN_STARTED,
        Action.RUN_COMPLETED,
    ]


async def test_replay_older_than_the_stream_holds_is_none(
    buses: Callable[..., RedisBus], redis_space: RedisSpace
) -> None:
    bus = buses(maxlen=100)
    await bus.start()
    for _ in range(40):  # batches of 50, as the recorder stores them
        bus.deliver([bus.publish(_ev()) for _ in range(50)])
        await bus.settled()
    client = aioredis.from_url(redis_space.url)
    head = await client.xrange(f"{redis_space.prefix}:run:a", count=1)
    await client.aclose()
    oldest = int(head[0][1][b"f"])
    # Whole batches go: at least the last 100 seqs stay, never more than a batch beyond.
    assert 2_000 - 100 - 50 < oldest <= 2_000 - 100 + 1
    assert await bus.replay("a", 0) is None
    assert await bus.replay("a", oldest - 2) is None
    assert [e.seq for e in (await bus.replay("a", oldest - 1)) or []] == list(range(oldest, 2_001))
    assert [e.seq for e in (await bus.replay("a", 1_990)) or []] == list(range(1_991, 2_001))
    follow = await bus.follow("a", 10)
    assert follow is not None
    assert (follow.replay, follow.last_seq) == (None, 2_000)  # the store has 11..2000


async def test_a_lost_counter_never_gives_a_shown_seq_again(
    buses: Callable[..., RedisBus], redis_space: RedisSpace
) -> None:
    a, b = buses(), buses()
    await a.start()
    await b.start()
    await _ingest(a, 5)
    await a.settled()
    client = aioredis.from_url(redis_space.url)
    await client.delete(f"{redis_space.prefix}:seq:a")  # Redis restarted without it
    await client.aclose()
    # B knows nothing of the run; the stream's newest entry is the floor.
    assert [e.seq for e in await _ingest(b, 2)] == [6, 7]


async def test_a_counter_lost_with_redis_s_memory_continues_after_the_stored_seqs(
    buses: Callable[..., RedisBus], redis_space: RedisSpace
) -> None:
    a, b = buses(), buses()
    await a.start()
    await b.start()
    stored: list[ActivityEvent] = []  # the store both processes write to

    async def stored_max(run_id: str) -> int:
        return max((e.seq for e in stored if e.run_id == run_id), default=0)

    a.seq_floor = b.seq_floor = stored_max
    stored += await _ingest(b, 20)  # B ingested the run's start ...
    stored += await _ingest(a, 30)  # ... then A the rest: B still thinks the run is at 20
    assert [e.seq for e in stored] == list(range(1, 51))
    await a.settled()
    await b.settled()
    client = aioredis.from_url(redis_space.url)
    # Redis restarted without its memory: no counter, no stream.
    await client.delete(f"{redis_space.prefix}:seq:a", f"{redis_space.prefix}:run:a")
    await client.aclose()
    assert [e.seq for e in await _ingest(b, 2)] == [51, 52]
    assert [e.seq for e in await _ingest(a, 1)] == [53]


async def test_a_batch_reserved_again_gets_the_same_seqs_even_from_another_process(
    buses: Callable[..., RedisBus],
) -> None:
    a, b = buses(), buses()
    await a.start()
    await b.start()
    first = [_ev() for _ in range(3)]
    key = batch_key(first)
    await a.reserve("a", 3, key=key)  # its answer is lost: ingest answered 503 ...
    await a.reserve("a", 3, key=key)  # ... and the runner sent the batch again
    assert [a.publish(e).seq for e in first] == [1, 2, 3]
    await b.reserve("a", 3, key=key)  # or sent it to another process
    assert [b.publish(_ev()).seq for _ in range(3)] == [1, 2, 3]  # refused there as doubles
    second = [_ev() for _ in range(2)]
    await b.reserve("a", 2, key=batch_key(second))
    assert [b.publish(e).seq for e in second] == [4, 5]  # no hole


async def test_publish_and_deliver_never_wait_when_redis_is_away() -> None:
    # Nothing listens on port 1: every call to Redis fails at once.
    bus = RedisBus("redis://127.0.0.1:1/0", outbox_size=10)
    await bus.start()
    try:
        events = [bus.publish(_ev()) for _ in range(25)]
        bus.deliver(events)
        assert [e.seq for e in events] == list(range(1, 26))
        assert bus.dropped == 15  # the oldest: stored, but not shown live
        with pytest.raises(BusUnavailable):
            await bus.reserve("a", 1)  # ingest answers 503 then; nothing is acknowledged
    finally:
        await bus.close(timeout=0.2)
    assert bus.dropped == 15


async def test_ingest_answers_unavailable_and_publishes_nothing_when_redis_is_away(
    tmp_path: Path,
) -> None:
    bus = RedisBus("redis://127.0.0.1:1/0")
    monitor = Monitor(str(tmp_path / "ingest.db"), bus=bus, event_writer="inline", announce=False)
    await monitor.start()
    try:
        ingestor = Ingestor(monitor, monitor.store)
        events = [ActivityEvent(run_id="r", action=Action.RUN_STARTED, id=new_event_id())]
        body = msgspec.json.encode({"events": events})
        with pytest.raises(
            IngestUnavailable, match="seqs cannot be given now: Redis is unavailable"
        ):
            await ingestor.ingest(decode_batch(body, max_events=10))
        assert bus.last_seq("r") == 0  # nothing numbered, so nothing to store
        assert await monitor.store.events.count("r") == 0
    finally:
        await monitor.stop(timeout=1)
