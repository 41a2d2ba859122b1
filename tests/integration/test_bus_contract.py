"""The ``EventBus`` contract, run on every implementation: the in-process hub and Redis
Streams (a real Redis; skipped without one unless CRAWLSCOPE_REQUIRE_SERVICES is set).

Both are built as a server builds them: readers see an event only once ``deliver`` (the
recorder, after storing) shows it. The Redis bus shows it asynchronously (through Redis
and its reader task), so tests wait for what they expect with ``collect``, never sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from crawlscope.bus import EventBus, EventFeed, Gap, Hub
from crawlscope.events import Action, ActivityEvent
from tests.conftest import fresh_redis_space

WAIT = 10.0


def _ev(run_id: str = "a", action: Action = Action.FOUND) -> ActivityEvent:
    return ActivityEvent(run_id=run_id, action=action, worker_id=1)


@pytest.fixture(params=["hub", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    """A started bus of each kind (test ids ``[hub]`` and ``[redis]``)."""
    if request.param == "hub":
        hub = Hub(until_stored=True)
        await hub.start()
        yield hub
        await hub.close()
        return
    from crawlscope.bus.redis_streams import RedisBus

    async with fresh_redis_space() as space:
        made = RedisBus(space.url, prefix=space.prefix)
        await made.start()
        try:
            yield made
        finally:
            await made.close()


def _show(bus: EventBus, run_id: str, count: int) -> list[ActivityEvent]:
    """Publish ``count`` events of ``run_id`` and deliver them, as the recorder does."""
    events = [bus.publish(_ev(run_id)) for _ in range(count)]
    bus.deliver(events)
    return events


async def collect(feed: EventFeed, until_seq: int, run_id: str = "a") -> list[ActivityEvent | Gap]:
    """Items of ``feed`` until an event of ``run_id`` with ``until_seq`` arrives."""
    got: list[ActivityEvent | Gap] = []
    async with asyncio.timeout(WAIT):
        while True:
            got.extend(await feed.get())
            if any(
                isinstance(i, ActivityEvent) and i.run_id == run_id and i.seq >= until_seq
                for i in got
            ):
                return got


def _seqs(items: list[ActivityEvent | Gap]) -> list[int]:
    return [i.seq for i in items if isinstance(i, ActivityEvent)]


async def test_seq_is_contiguous_per_run_and_continues_after_stored(bus: EventBus) -> None:
    seqs: dict[str, list[int]] = {"a": [], "b": []}
    for i in range(30):
        run_id = "a" if i % 3 else "b"
        seqs[run_id].append(bus.publish(_ev(run_id)).seq)
    assert seqs == {"a": list(range(1, 21)), "b": list(range(1, 11))}
    bus.open_run("c", last_seq=41)
    assert bus.publish(_ev("c")).seq == 42
    bus.open_run("c", last_seq=10)  # never goes backwards
    assert bus.publish(_ev("c")).seq == 43
    assert (bus.last_seq("a"), bus.last_seq("c"), bus.last_seq("zzz")) == (20, 43, 0)
    assert bus.has_run("c")
    assert not bus.has_run("zzz")


async def test_listeners_see_every_event_inline_in_order(bus: EventBus) -> None:
    seen: list[tuple[str, int]] = []
    bus.add_listener(lambda e: seen.append((e.run_id, e.seq)))
    for run_id in "abab":
        bus.publish(_ev(run_id))
    assert seen == [("a", 1), ("b", 1), ("a", 2), ("b", 2)]


async def test_readers_see_only_delivered_events_once(bus: EventBus) -> None:
    feed = bus.subscribe("a")
    events = [bus.publish(_ev()) for _ in range(3)]
    assert await feed.get(max_wait=0.2) == []  # numbered, not stored yet: not shown
    bus.deliver(events)
    bus.deliver(events)  # shown already: a no-op
    _show(bus, "a", 1)
    assert _seqs(await collect(feed, 4)) == [1, 2, 3, 4]
    assert feed.drain() == []


async def test_feed_receives_only_its_run(bus: EventBus) -> None:
    feed_a = bus.subscribe("a")
    feed_b = bus.subscribe("b")
    for run_id in "aba":
        _show(bus, run_id, 1)
    got = await collect(feed_a, 2)
    assert [(e.run_id, e.seq) for e in got if isinstance(e, ActivityEvent)] == [("a", 1), ("a", 2)]
    assert _seqs(await collect(feed_b, 1, "b")) == [1]


async def test_slow_feed_loses_oldest_and_is_told_exactly_how_many(bus: EventBus) -> None:
    slow = bus.subscribe("a", maxsize=10)
    witness = bus.subscribe("a")
    _show(bus, "a", 35)
    await collect(witness, 35)  # everything reached this process's feeds
    items = slow.drain()
    assert items[0] == Gap(missed=25, run_id="a")
    assert _seqs(items[1:]) == list(range(26, 36))
    assert slow.missed_total == 25


async def test_follow_replays_after_a_seq_then_goes_live_exactly_once(bus: EventBus) -> None:
    witness = bus.subscribe("a")
    _show(bus, "a", 10)
    await collect(witness, 10)
    follow = await bus.follow("a", 4)
    assert follow is not None
    assert follow.replay is not None
    assert [e.seq for e in follow.replay] == [5, 6, 7, 8, 9, 10]
    assert follow.last_seq == 10
    _show(bus, "a", 2)
    assert _seqs(await collect(follow.feed, 12)) == [11, 12]
    assert [e.seq for e in (await bus.replay("a", 10)) or []] == [11, 12]
    assert await bus.replay("a", 12) == []
    assert await bus.follow("nobody", 0) is None


async def test_replay_of_an_unknown_or_continued_run_is_none(bus: EventBus) -> None:
    assert await bus.replay("nobody", 0) is None
    bus.open_run("b", last_seq=50)  # continued: seq 1..50 are only in the store
    assert await bus.replay("b", 10) is None
    assert await bus.replay("b", 50) == []


async def test_lifecycle_feed_gets_the_system_events_of_every_run(bus: EventBus) -> None:
    lifecycle = bus.subscribe_lifecycle()
    witness = bus.subscribe("b")
    for run_id, action in [("a", Action.RUN_STARTED), ("a", Action.FOUND), ("b", Action.FOUND)]:
        bus.deliver([bus.publish(_ev(run_id, action))])
    bus.deliver([bus.publish(_ev("b", Action.RUN_COMPLETED))])
    await collect(witness, 2, "b")
    got = await collect(lifecycle, 2, "b")
    assert [(e.run_id, e.action) for e in got if isinstance(e, ActivityEvent)] == [
        ("a", Action.RUN_STARTED),
        ("b", Action.RUN_COMPLETED),
    ]


async def test_forget_run_ends_its_feeds_and_close_unsubscribes(bus: EventBus) -> None:
    feed = bus.subscribe("a")
    other = bus.subscribe("b")
    assert bus.subscriber_count() == 2
    _show(bus, "a", 1)
    assert _seqs(await collect(feed, 1)) == [1]
    bus.forget_run("a")
    assert feed.closed
    assert not bus.has_run("a")
    other.close()
    other.close()  # idempotent
    assert bus.subscriber_count() == 0


async def test_reserve_gives_the_next_seqs_to_the_batch(bus: EventBus) -> None:
    bus.open_run("a", last_seq=7)
    await bus.reserve("a", 3)
    assert [bus.publish(_ev()).seq for _ in range(3)] == [8, 9, 10]
    await bus.reserve("a", 2)
    assert [bus.publish(_ev()).seq for _ in range(2)] == [11, 12]
