"""The in-process event bus (bus/hub.py): numbering, listeners, ring replay, bounded feeds."""

from __future__ import annotations

import asyncio

import pytest

from crawlscope.bus import Gap, Hub
from crawlscope.events import Action, ActivityEvent


def _ev(run_id: str = "a", action: Action = Action.FOUND) -> ActivityEvent:
    return ActivityEvent(run_id=run_id, action=action, worker_id=1)


def test_seq_is_contiguous_per_run_from_one() -> None:
    hub = Hub()
    seqs: dict[str, list[int]] = {"a": [], "b": []}
    for i in range(30):
        run_id = "a" if i % 3 else "b"
        seqs[run_id].append(hub.publish(_ev(run_id)).seq)
    assert seqs["a"] == list(range(1, 21))
    assert seqs["b"] == list(range(1, 11))
    assert (hub.last_seq("a"), hub.last_seq("b"), hub.last_seq("c")) == (20, 10, 0)


def test_open_run_continues_after_stored_events() -> None:
    hub = Hub()
    hub.open_run("a", last_seq=41)
    assert hub.publish(_ev()).seq == 42
    hub.open_run("a", last_seq=10)  # never goes backwards
    assert hub.publish(_ev()).seq == 43
    assert hub.has_run("a")
    assert not hub.has_run("zzz")


def test_listeners_see_every_event_in_order_with_seq_assigned() -> None:
    hub = Hub()
    first: list[tuple[str, int]] = []
    second: list[int] = []
    hub.add_listener(lambda e: first.append((e.run_id, e.seq)))
    hub.add_listener(lambda e: second.append(len(first)))  # runs after the first listener
    for run_id in "abab":
        hub.publish(_ev(run_id))
    assert first == [("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    assert second == [1, 2, 3, 4]


async def test_replay_from_the_ring() -> None:
    hub = Hub(ring_size=100)
    for _ in range(10):
        hub.publish(_ev())
    replay = await hub.replay("a", 4)
    assert replay is not None
    assert [e.seq for e in replay] == [5, 6, 7, 8, 9, 10]
    assert [e.seq for e in (await hub.replay("a", 0)) or []] == list(range(1, 11))
    assert await hub.replay("a", 10) == []
    assert await hub.replay("a", 99) == []


async def test_replay_too_old_for_the_ring_is_none() -> None:
    hub = Hub(ring_size=5)
    for _ in range(12):
        hub.publish(_ev())
    # The ring holds seq 8..12.
    assert [e.seq for e in (await hub.replay("a", 7)) or []] == [8, 9, 10, 11, 12]
    assert await hub.replay("a", 6) is None
    assert await hub.replay("a", 0) is None


async def test_replay_of_an_unknown_or_continued_run_is_none() -> None:
    hub = Hub()
    assert await hub.replay("nobody", 0) is None
    hub.open_run("b", last_seq=50)  # continued: seq 1..50 are only in the store
    assert await hub.replay("b", 10) is None
    assert await hub.replay("b", 50) == []


def test_subscription_receives_only_its_run() -> None:
    hub = Hub()
    sub_a = hub.subscribe("a")
    everything = hub.subscribe()
    hub.publish(_ev("a"))
    hub.publish(_ev("b"))
    hub.publish(_ev("a"))
    assert [(e.run_id, e.seq) for e in sub_a.drain() if isinstance(e, ActivityEvent)] == [
        ("a", 1),
        ("a", 2),
    ]
    assert len(everything.drain()) == 3


def test_slow_subscriber_loses_oldest_and_is_told_exactly_how_many() -> None:
    hub = Hub()
    sub = hub.subscribe("a", maxsize=10)
    for _ in range(35):
        hub.publish(_ev())
    assert sub.pending() == 10
    items = sub.drain()
    gap = items[0]
    assert isinstance(gap, Gap)
    assert gap == Gap(missed=25, run_id="a")
    assert [e.seq for e in items[1:] if isinstance(e, ActivityEvent)] == list(range(26, 36))
    assert sub.missed_total == 25
    # After a drain the count starts over.
    for _ in range(3):
        hub.publish(_ev())
    assert [type(i) for i in sub.drain()] == [ActivityEvent] * 3
    assert sub.missed_total == 25


def test_publish_never_waits_for_a_subscriber() -> None:
    hub = Hub()
    subs = [hub.subscribe("a", maxsize=2) for _ in range(5)]
    for _ in range(10_000):
        hub.publish(_ev())
    assert all(s.pending() == 2 for s in subs)
    assert all(s.missed_total == 9_998 for s in subs)


async def test_replayed_events_go_ahead_of_live_ones() -> None:
    hub = Hub()
    for _ in range(5):
        hub.publish(_ev())
    sub = hub.subscribe("a")
    sub.extend((await hub.replay("a", 2)) or [])
    hub.publish(_ev())
    assert [e.seq for e in sub.drain() if isinstance(e, ActivityEvent)] == [3, 4, 5, 6]


async def test_get_waits_for_events_and_times_out_empty() -> None:
    hub = Hub()
    sub = hub.subscribe("a")
    assert await sub.get(max_wait=0.01) == []

    async def later() -> None:
        await asyncio.sleep(0.01)
        hub.publish(_ev())

    publisher = asyncio.create_task(later())
    got = await sub.get(max_wait=5)
    await publisher
    assert [e.seq for e in got if isinstance(e, ActivityEvent)] == [1]


async def test_async_iteration_ends_when_closed_after_draining() -> None:
    hub = Hub()
    sub = hub.subscribe("a", maxsize=3)
    for _ in range(5):
        hub.publish(_ev())
    sub.close()
    assert hub.subscriber_count() == 0
    items = [item async for item in sub]
    assert items[0] == Gap(2, "a")
    assert len(items) == 4
    assert sub.closed
    hub.publish(_ev())  # a closed subscription receives nothing more
    assert sub.pending() == 0


async def test_forget_run_ends_its_subscriptions() -> None:
    hub = Hub()
    with hub.subscribe("a") as sub:
        hub.publish(_ev())
        waiter = asyncio.create_task(sub.get(max_wait=5))
        await asyncio.sleep(0)
        hub.forget_run("a")
        assert len(await waiter) == 1
        assert sub.closed
    assert not hub.has_run("a")
    assert await hub.replay("a", 0) is None


def test_context_manager_and_close_unsubscribe() -> None:
    hub = Hub()
    global_sub = hub.subscribe()
    with hub.subscribe("a"):
        assert hub.subscriber_count() == 2
    assert hub.subscriber_count() == 1
    global_sub.close()
    global_sub.close()  # idempotent
    assert hub.subscriber_count() == 0


@pytest.mark.parametrize("maxsize", [1, 7, 100])
def test_gap_is_emitted_minus_maxsize(maxsize: int) -> None:
    hub = Hub()
    sub = hub.subscribe("a", maxsize=maxsize)
    emitted = 250
    for _ in range(emitted):
        hub.publish(_ev())
    gap = sub.drain()[0]
    assert isinstance(gap, Gap)
    assert gap.missed == emitted - maxsize
