"""The transport-independent live feeds (api/live.py) over a real Monitor and SQLite file.

The feed generators are driven directly: not pulling from one is exactly what a client
that stopped reading looks like to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from crawlscope.api.live import (
    LiveConfig,
    LiveFeeds,
    LiveSources,
    Message,
    UnknownRun,
    parse_position,
)
from crawlscope.bus import Hub
from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor

Feed = AsyncGenerator[list[Message], None]


def _fast(**overrides: Any) -> LiveConfig:
    base: dict[str, Any] = {"state_interval": 0.05, "poll_interval": 0.05, "history_page": 20}
    return LiveConfig(**{**base, **overrides})


async def _open(monitor: Monitor, run_id: str = "r1") -> None:
    await monitor.open_run(run_id, "test", {}, None)
    monitor.emit(ActivityEvent(run_id=run_id, action=Action.RUN_STARTED))


def _emit(monitor: Monitor, n: int, run_id: str = "r1", **fields: Any) -> None:
    for _ in range(n):
        monitor.emit(ActivityEvent(run_id=run_id, action=Action.FETCHING, worker_id=1, **fields))


async def _pull(
    feed: Feed, until: Callable[[list[Message]], bool], timeout: float = 5
) -> list[Message]:
    """Messages from ``feed`` until ``until(all so far)`` holds."""
    out: list[Message] = []
    async with asyncio.timeout(timeout):
        while not until(out):
            out.extend(await anext(feed))
    return out


def _seqs(messages: list[Message]) -> list[int]:
    return [int(m.id.rpartition(":")[2]) for m in messages if m.kind == "activity" and m.id]


def _kinds(messages: list[Message]) -> list[str]:
    return [m.kind for m in messages]


def _has_activity(seq: int) -> Callable[[list[Message]], bool]:
    return lambda out: seq in _seqs(out)


def _ended(out: list[Message]) -> bool:
    return bool(out) and out[-1].kind == "end"


@contextlib.asynccontextmanager
async def _feed(gen: Feed) -> AsyncIterator[Feed]:
    async with contextlib.aclosing(gen):
        yield gen


@pytest.fixture
async def small_ring(db_path: Path) -> AsyncIterator[Monitor]:
    """A monitor whose hub remembers only 10 events per run, so replays reach the store."""
    mon = Monitor(str(db_path), bus=Hub(ring_size=10))
    await mon.start()
    try:
        yield mon
    finally:
        await mon.stop()


# -- the hub's side: follow, lifecycle subscriptions, shared wakeups ----------------------


async def test_follow_covers_every_event_once_and_says_when_the_ring_is_short() -> None:
    hub = Hub(ring_size=5)
    assert await hub.follow("r", 0) is None  # not numbered here: nothing is created
    assert not hub.has_run("r")
    for _ in range(8):
        hub.publish(ActivityEvent(run_id="r", action=Action.FETCHING))
    follow = await hub.follow("r", 5)
    assert follow is not None
    assert [e.seq for e in follow.replay or []] == [6, 7, 8]
    assert follow.last_seq == 8
    hub.publish(ActivityEvent(run_id="r", action=Action.FETCHING))
    assert [e.seq for e in follow.feed.drain() if isinstance(e, ActivityEvent)] == [9]
    older = await hub.follow("r", 1)
    assert older is not None
    assert older.replay is None  # seq 2 left the ring: read the store up to last_seq
    assert older.last_seq == 9
    assert hub.subscriber_count() == 2


async def test_lifecycle_subscription_and_a_shared_wakeup() -> None:
    hub = Hub()
    wakeup = asyncio.Event()
    lifecycle = hub.subscribe_lifecycle(wakeup=wakeup)
    run_sub = hub.subscribe("b", wakeup=wakeup)
    hub.publish(ActivityEvent(run_id="a", action=Action.FETCHING))
    assert not wakeup.is_set()  # worker traffic of another run wakes nobody here
    hub.publish(ActivityEvent(run_id="a", action=Action.PHASE_STARTED))
    assert wakeup.is_set()
    wakeup.clear()
    hub.publish(ActivityEvent(run_id="b", action=Action.FOUND))
    assert wakeup.is_set()
    assert [e.action for e in lifecycle.drain() if isinstance(e, ActivityEvent)] == [
        Action.PHASE_STARTED
    ]
    assert wakeup.is_set()  # a shared event is the reader's to clear
    assert [e.action for e in run_sub.drain() if isinstance(e, ActivityEvent)] == [Action.FOUND]
    assert hub.subscriber_count() == 2
    lifecycle.close()
    run_sub.close()
    assert hub.subscriber_count() == 0


# -- positions ------------------------------------------------------------------------------


def test_parse_position() -> None:
    assert parse_position(None, None, "r") is None
    assert parse_position(None, 7, "r") == 7
    assert parse_position("12", 7, "r") == 12  # the header wins: it is what the browser saw
    assert parse_position("r:12", None, "r") == 12
    assert parse_position("other:12", 3, "r") == 3  # an id from another focus is ignored
    assert parse_position(" ", 4, "r") == 4
    assert parse_position(str(2**53), None, "r") == 2**53
    for bad in ("x", "-1", "r:x", "1.5", str(2**53 + 1), "9" * 40):
        with pytest.raises(ValueError, match="Last-Event-ID"):
            parse_position(bad, None, "r")
    for bad_seq in (-1, 2**53 + 1):
        with pytest.raises(ValueError, match="after_seq"):
            parse_position(None, bad_seq, "r")


# -- the run feed ---------------------------------------------------------------------------


async def test_state_first_then_ring_replay_then_live_then_final_state_and_end(
    monitor: Monitor,
) -> None:
    await _open(monitor)
    _emit(monitor, 20)
    feeds = LiveFeeds(LiveSources.of(monitor), _fast())
    async with _feed(feeds.run_feed("r1", 5)) as feed:
        first = await anext(feed)
        assert _kinds(first) == ["state"]
        assert json.loads(first[0].data)["last_seq"] == 21
        out = await _pull(feed, _has_activity(21))
        assert _seqs(out) == list(range(6, 22))
        _emit(monitor, 3)
        monitor.emit(ActivityEvent(run_id="r1", action=Action.RUN_COMPLETED))
        out += await _pull(feed, _ended)
        assert _seqs(out) == list(range(6, 26))
        final_state, end = out[-2], out[-1]
        assert final_state.kind == "state"
        assert json.loads(final_state.data)["status"] == "completed"
        assert json.loads(end.data) == {"run_id": "r1", "status": "completed"}
        with pytest.raises(StopAsyncIteration):
            await anext(feed)
    assert monitor.bus.subscriber_count() == 0


async def test_without_a_position_the_feed_starts_live(monitor: Monitor) -> None:
    await _open(monitor)
    _emit(monitor, 10)
    feeds = LiveFeeds(LiveSources.of(monitor), _fast())
    async with _feed(feeds.run_feed("r1", None)) as feed:
        assert _kinds(await anext(feed)) == ["state"]
        _emit(monitor, 2)
        out = await _pull(feed, _has_activity(13))
        assert _seqs(out) == [12, 13]


async def test_replay_older_than_the_ring_comes_from_the_store_without_gap_or_duplicate(
    small_ring: Monitor,
) -> None:
    monitor = small_ring
    await _open(monitor)
    _emit(monitor, 99)
    # Not flushed on purpose: the newest events are still in the recorder's buffer, the
    # ring holds only the last 10, so the feed must flush before it can read 11..90.
    assert monitor.unstored > 0
    feeds = LiveFeeds(LiveSources.of(monitor), _fast())
    async with _feed(feeds.run_feed("r1", 3)) as feed:
        out = await _pull(feed, _has_activity(100))
        assert _seqs(out) == list(range(4, 101))
        assert "gap" not in _kinds(out)


async def test_events_published_while_the_store_is_read_are_not_lost(
    small_ring: Monitor,
) -> None:
    monitor = small_ring
    await _open(monitor)
    _emit(monitor, 99)
    await monitor.flush()
    # A queue of 5 overflows while the history (5 pages of 20) is read; the feed fills
    # the hole itself, because this client did not fall behind.
    feeds = LiveFeeds(LiveSources.of(monitor), _fast(queue_size=5))
    async with _feed(feeds.run_feed("r1", 0)) as feed:
        out = await _pull(feed, _has_activity(20))
        _emit(monitor, 30)
        out += await _pull(feed, _has_activity(130))
        assert _seqs(out) == list(range(1, 131))
        assert "gap" not in _kinds(out)


async def test_a_reader_that_falls_behind_gets_a_gap_naming_what_it_lost(
    monitor: Monitor,
) -> None:
    await _open(monitor)
    feeds = LiveFeeds(LiveSources.of(monitor), _fast(queue_size=5))
    async with _feed(feeds.run_feed("r1", None)) as feed:
        assert _kinds(await anext(feed)) == ["state"]
        _emit(monitor, 50)  # nobody pulls: the queue keeps the newest 5
        out = await _pull(feed, _has_activity(51))
        gaps = [json.loads(m.data) for m in out if m.kind == "gap"]
        assert gaps == [
            {
                "run_id": "r1",
                "missed": 45,
                "after_seq": 1,
                "events_url": "/api/runs/r1/events?after_seq=1&limit=45",
            }
        ]
        assert _seqs(out) == list(range(47, 52))
        assert _kinds(out).index("gap") < _kinds(out).index("activity")
        _emit(monitor, 1)
        assert _seqs(await _pull(feed, _has_activity(52)))[-1] == 52


async def test_state_frames_are_spaced_by_the_interval(monitor: Monitor) -> None:
    await _open(monitor)
    feeds = LiveFeeds(LiveSources.of(monitor), _fast(state_interval=0.1))
    loop = asyncio.get_running_loop()
    stamps: list[float] = []

    async def produce() -> None:
        for _ in range(60):
            _emit(monitor, 1)
            await asyncio.sleep(0.01)

    producer = asyncio.create_task(produce())
    async with _feed(feeds.run_feed("r1", None)) as feed:
        while not producer.done():
            for message in await anext(feed):
                if message.kind == "state":
                    stamps.append(loop.time())
    await producer
    spacing = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) >= 3  # events kept changing the run: frames did flow
    assert min(spacing) >= 0.1 - 0.01


async def test_late_join_to_a_forgotten_run_reads_history_from_the_store(
    monitor: Monitor,
) -> None:
    await _open(monitor)
    _emit(monitor, 30)
    monitor.emit(ActivityEvent(run_id="r1", action=Action.RUN_COMPLETED))
    await monitor.flush()
    monitor.forget_after = 0
    await monitor.save_frames()
    feeds = LiveFeeds(LiveSources.of(monitor), _fast())
    async with _feed(feeds.run_feed("r1", 0)) as feed:
        out = await _pull(feed, _ended)
    assert _seqs(out) == list(range(1, 33))
    assert _kinds(out)[0] == "state"
    assert _kinds(out)[-2:] == ["state", "end"]
    assert json.loads(out[-1].data)["status"] == "completed"
    assert monitor.bus.subscriber_count() == 0
    assert not monitor.bus.has_run("r1")  # following a finished run does not revive it


async def test_a_run_owned_by_another_process_is_followed_through_the_store(
    monitor: Monitor, db_path: Path
) -> None:
    other = Monitor(str(db_path))  # another process's monitor on the same database
    await other.start()
    try:
        await _open(other, "r2")
        _emit(other, 5, "r2")
        await other.flush()
        feeds = LiveFeeds(LiveSources.of(monitor), _fast())
        await feeds.check_run("r2")
        async with _feed(feeds.run_feed("r2", 0)) as feed:
            out = await _pull(feed, _has_activity(6))
            _emit(other, 4, "r2")
            other.emit(ActivityEvent(run_id="r2", action=Action.RUN_CANCELLED))
            await other.flush()
            out += await _pull(feed, _ended)
        assert _seqs(out) == list(range(1, 12))
        assert json.loads(out[-1].data)["status"] == "cancelled"
    finally:
        await other.stop()


async def test_unknown_run(monitor: Monitor) -> None:
    with pytest.raises(UnknownRun, match="nope"):
        await LiveFeeds(LiveSources.of(monitor)).check_run("nope")


# -- the installation feed ------------------------------------------------------------------


async def test_installation_feed_lifecycle_states_system_and_focus(monitor: Monitor) -> None:
    await _open(monitor, "a")
    await _open(monitor, "b")
    _emit(monitor, 5, "a")
    _emit(monitor, 5, "b")
    feeds = LiveFeeds(LiveSources.of(monitor), _fast(system_interval=30))
    async with _feed(feeds.installation_feed("b", 3)) as feed:
        out = await _pull(feed, lambda o: "system" in _kinds(o) and _has_activity(6)(o))
        states = {
            json.loads(m.data)["run_id"]: json.loads(m.data) for m in out if m.kind == "state"
        }
        assert set(states) == {"a", "b"}
        assert states["a"]["workers"] == []  # compact for runs not in focus
        assert [w["worker_id"] for w in states["b"]["workers"]] == [1]
        assert [m.id for m in out if m.kind == "activity"] == ["b:4", "b:5", "b:6"]
        assert "active_runs" in json.loads(next(m for m in out if m.kind == "system").data)

        _emit(monitor, 3, "a")  # worker traffic of other runs is not sent...
        monitor.emit(ActivityEvent(run_id="a", action=Action.RUN_PAUSED, extra={"reason": "x"}))
        more = await _pull(feed, lambda o: any(m.kind == "activity" for m in o))
        lifecycle = [json.loads(m.data) for m in more if m.kind == "activity"]
        assert [(e["run_id"], e["action"], e["seq"]) for e in lifecycle] == [
            ("a", "run_paused", 10)
        ]
        assert all(m.id is None for m in more if m.kind == "activity")

        monitor.emit(ActivityEvent(run_id="b", action=Action.RUN_COMPLETED))
        more = await _pull(feed, lambda o: "end" in _kinds(o))
        assert [m.id for m in more if m.kind == "activity"] == ["b:7"]
        end = next(m for m in more if m.kind == "end")
        assert json.loads(end.data) == {"run_id": "b", "status": "completed"}
        b_states = [
            (i, json.loads(m.data))
            for i, m in enumerate(more)
            if m.kind == "state" and json.loads(m.data)["run_id"] == "b"
        ]
        assert b_states[-1][1]["status"] == "completed"  # the final state precedes the end
        assert b_states[-1][0] < more.index(end)
        # The feed goes on after the focused run ended, for the other runs.
        monitor.emit(ActivityEvent(run_id="a", action=Action.RUN_FAILED, error_message="x"))
        more = await _pull(feed, lambda o: any(m.kind == "state" for m in o))
        final = [json.loads(m.data) for m in more if m.kind == "state"]
        assert [(s["run_id"], s["status"]) for s in final] == [("a", "failed")]
    assert monitor.bus.subscriber_count() == 0
