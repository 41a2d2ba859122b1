"""What the live streams send, independent of the transport (SSE or WebSocket).

A feed is an async iterator of *chunks*: lists of ``Message`` that are ready at the same
moment. A transport renders a chunk as one write (SSE) or one frame per message (WebSocket),
so a burst of events costs one send, not one per event.

A run feed sends a ``state`` frame on connect, replays the events after the client's
position exactly once, then follows the hub: events with their seq, ``state`` at most every
``state_interval`` seconds, a ``gap`` where the client fell behind (its bounded queue lost
the oldest events), and the final ``state`` plus ``end`` when the run ends; the per-run
logic is ``live_follow.RunFollower``. The installation feed adds lifecycle events and
compact states of every run, ``system`` samples, and optionally one focused run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from crawlscope.api.live_follow import Chunk, Message, RunFollower, StateTrack, encode, shielded
from crawlscope.bus import EventBus
from crawlscope.events import ActivityEvent
from crawlscope.frame_source import FrameSource, LiveRun
from crawlscope.manager import UnknownRun
from crawlscope.monitor import Monitor
from crawlscope.status import RunStatus
from crawlscope.store.repositories import EventRepository
from crawlscope.system import sample_system

__all__ = [
    "MAX_SEQ",
    "LiveConfig",
    "LiveFeeds",
    "LiveSources",
    "Message",
    "UnknownRun",
    "feeds_for",
    "live_feeds",
    "parse_position",
]

MAX_SEQ = 2**53
"""The largest position accepted: beyond it the store's 64-bit integers would overflow."""


@dataclass
class LiveConfig:
    """Timings and sizes of the live streams (tests shorten them)."""

    state_interval: float = 0.25
    """Minimum seconds between two state frames of one run: at most 4 per second."""
    state_heartbeat: float = 5.0
    """A state frame this often while a run is active even if no event changed it."""
    keepalive: float = 15.0
    write_interval: float = 0.01
    """Events arriving within this many seconds of the previous write share the next one:
    at most 100 writes a second per client, however busy the run (a write is a syscall)."""
    system_interval: float = 5.0
    poll_interval: float = 1.0
    """How often runs owned by another process are read from the store."""
    queue_size: int | None = None
    """Events buffered per subscriber before the oldest are dropped (None: the hub's)."""
    history_page: int = 1000
    flush_timeout: float = 5.0
    send_timeout: float = 60.0
    """A client that accepts nothing for this long is disconnected."""


def parse_position(
    last_event_id: str | None, after_seq: int | None, run_id: str | None
) -> int | None:
    """The seq to resume after: ``Last-Event-ID`` (``N`` or ``RUN:N``) wins over ``after_seq``.

    An id naming another run (the focus changed) is ignored. Raises ``ValueError``.
    """
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        if ":" in text:
            owner, _, text = text.rpartition(":")
            if owner != run_id:
                return after_seq
        if not text.isdigit() or len(text) > 16 or int(text) > MAX_SEQ:
            raise ValueError(f"Last-Event-ID must be a seq (N or RUN:N), got {last_event_id!r}")
        return int(text)
    if after_seq is not None and not 0 <= after_seq <= MAX_SEQ:
        raise ValueError(f"after_seq must be between 0 and {MAX_SEQ}")
    return after_seq


@dataclass(frozen=True)
class LiveSources:
    """What the streams read: the event bus, the frame source, the stored events (for
    replay older than the bus holds), a way to have every received event stored, and the
    system sample."""

    bus: EventBus
    frames: FrameSource
    events: EventRepository
    flush_events: Callable[[], Awaitable[None]]
    sample_system: Callable[[], Awaitable[dict[str, Any]]]

    @classmethod
    def of(cls, monitor: Monitor) -> LiveSources:
        """The sources of a monitor's pipeline (what a server streams)."""
        store, bus, frames = monitor.store, monitor.bus, monitor.frames

        async def sample() -> dict[str, Any]:
            figures = await sample_system(store.data_path, frames, bus)
            # The dashboard's storage banner reads this (docs/dashboard.md).
            figures["storage"] = msgspec.to_builtins(monitor.storage_status())
            return figures

        return cls(bus, frames, store.events, monitor.flush_events, sample)


class LiveFeeds:
    """The live streams of one server: shared caches plus the feed generators.

    State frames and system samples are computed at most once per interval and shared
    by every connection, so 100 subscribers cost what one does.
    """

    def __init__(
        self,
        sources: LiveSources,
        config: LiveConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sources = sources
        self.config = config or LiveConfig()
        self.clock = clock
        self._frames: dict[tuple[str, bool], tuple[int, float, bytes, RunStatus]] = {}
        self._system: tuple[float, bytes] | None = None
        self._system_lock = asyncio.Lock()

    # -- shared pieces ----------------------------------------------------------------

    async def check_run(self, run_id: str) -> None:
        """Raise ``UnknownRun`` unless the run is live here or stored."""
        sources = self.sources
        if sources.bus.has_run(run_id) or sources.frames.live(run_id) is not None:
            return
        if await shielded(sources.frames.frame(run_id, with_workers=False)) is None:
            raise UnknownRun(f"no run with id {run_id!r}")

    async def state(
        self, run_id: str, *, full: bool = True, live: LiveRun | None = None
    ) -> tuple[Message, RunStatus] | None:
        """The run's ``state`` message and the status it shows (None if the run is unknown).

        ``live``: the run as ``live_runs()`` or ``remote_runs()`` listed it (else it is
        looked up among the runs aggregated here): a frame of its version is read once and
        shared for a moment by every connection. The frame of a run owned elsewhere may
        be newer than the notice that listed it (published meanwhile): the status is the
        frame's.
        """
        frames = self.sources.frames
        live = live or frames.live(run_id)
        if live is None:
            frame = await shielded(frames.frame(run_id, with_workers=full))
            if frame is None:
                return None
            return Message("state", encode(frame)), frame.status
        now = self.clock()
        key = (run_id, full)
        cached = self._frames.get(key)
        # Rates and ETA move with time, so a frame is reused only briefly even unchanged.
        if cached is None or cached[0] != live.version or now - cached[1] >= 0.2:
            frame = await frames.frame(run_id, with_workers=full)
            if frame is None:
                return None
            cached = (live.version, now, encode(frame), frame.status)
            self._frames[key] = cached
            if len(self._frames) > 256:
                self._prune_frames()
        return Message("state", cached[2]), cached[3]

    def _prune_frames(self) -> None:
        frames = self.sources.frames
        held = {run.run_id for run in _every_run(frames)}
        for key in [k for k in self._frames if k[0] not in held]:
            del self._frames[key]

    async def system(self) -> Message:
        """A ``system`` message (``GET /api/health/system``), sampled at most once a second."""
        async with self._system_lock:
            now = self.clock()
            if self._system is None or now - self._system[0] >= 1.0:
                self._system = (now, encode(await self.sources.sample_system()))
            return Message("system", self._system[1])

    # -- feeds ------------------------------------------------------------------------

    async def _coalesce(self, written: float) -> None:
        """Hold the next write until ``write_interval`` after the previous one."""
        delay = written + self.config.write_interval - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def run_feed(self, run_id: str, after_seq: int | None) -> AsyncGenerator[Chunk, None]:
        """The per-run stream; ends after ``end``. Call ``check_run`` first for a clean 404."""
        wakeup = asyncio.Event()
        waiter = _Waiter(wakeup, self.clock)
        follower = RunFollower(self, run_id, after_seq, wakeup)
        try:
            async for chunk in follower.open():
                yield chunk
            written = -math.inf
            while not follower.done:
                wakeup.clear()
                chunk = await follower.step()
                if chunk:
                    yield chunk
                    written = self.clock()
                if follower.done:
                    break  # ``end`` was sent: nothing will wake this stream again
                await waiter.wait(follower.deadline())
                await self._coalesce(written)
        finally:
            waiter.cancel()
            follower.close()

    async def installation_feed(
        self, focus: str | None = None, after_seq: int | None = None
    ) -> AsyncGenerator[Chunk, None]:
        """The whole installation: lifecycle events and states of every run, system samples,
        and everything of the ``focus`` run (ids ``run_id:seq``). Never ends by itself.

        Every run means the runs aggregated here and those other processes own (their
        owners' frame notices wake the feed), each sent once per change of its frame."""
        config, clock, frames = self.config, self.clock, self.sources.frames
        wakeup = asyncio.Event()
        waiter = _Waiter(wakeup, clock)
        lifecycle = self.sources.bus.subscribe_lifecycle(config.queue_size, wakeup=wakeup)
        frames.watch(wakeup)
        follower = (
            RunFollower(self, focus, after_seq, wakeup, id_prefix=f"{focus}:") if focus else None
        )
        held = _every_run(frames)
        tracks: dict[str, StateTrack] = {
            run.run_id: StateTrack(final_sent=True) for run in held if run.ended
        }
        # The stream starts now: events given before it opened but shown only once stored
        # (just after) are not part of it.
        bus = self.sources.bus
        before = {run.run_id: bus.last_seq(run.run_id) for run in held}
        next_system = clock()
        written = -math.inf
        try:
            if follower is not None:
                async for chunk in follower.open():
                    yield chunk
            while True:
                now = clock()
                chunk = []
                wakeup.clear()
                for item in lifecycle.drain():
                    if (
                        isinstance(item, ActivityEvent)
                        and item.run_id != focus
                        and item.seq > before.get(item.run_id, 0)
                    ):
                        chunk.append(Message("activity", encode(item)))
                if follower is not None and not follower.done:
                    chunk.extend(await follower.step())
                    if follower.done:
                        tracks[follower.run_id] = StateTrack(final_sent=True)
                deadlines = [next_system]
                if follower is not None and not follower.done:
                    deadlines.append(follower.deadline())
                held = _every_run(frames)
                for run in held:
                    if run.run_id == focus and follower is not None and not follower.done:
                        continue
                    track = tracks.setdefault(run.run_id, StateTrack())
                    due = track.due(run.version, run.ended, config)
                    if due <= now:
                        state = await self.state(run.run_id, full=run.run_id == focus, live=run)
                        ended = run.ended
                        if state is not None:
                            chunk.append(state[0])
                            # Read after its owner published the end: that was the final one.
                            ended = ended or state[1].terminal
                        track.sent(run.version, ended, now)
                    elif due < math.inf:
                        deadlines.append(due)
                held_ids = {run.run_id for run in held}
                for run_id in [r for r in tracks if r not in held_ids]:
                    del tracks[run_id]
                if now >= next_system:
                    chunk.append(await self.system())
                    next_system = now + config.system_interval
                if chunk:
                    yield chunk
                    written = clock()
                await waiter.wait(min(deadlines))
                await self._coalesce(written)
        finally:
            waiter.cancel()
            frames.unwatch(wakeup)
            lifecycle.close()
            if follower is not None:
                follower.close()


class _Waiter:
    """Waits for a reader's wakeup event or a deadline, whichever comes first.

    The deadline is an alarm that sets the event, re-armed only when the deadline moves
    (a few times a second), not on every one of the hundreds of wakeups a second a busy
    stream has; ``asyncio.timeout`` per wait cost about a tenth of a stream's CPU.
    """

    def __init__(self, wakeup: asyncio.Event, clock: Callable[[], float]) -> None:
        self.wakeup = wakeup
        self.clock = clock
        self._alarm: asyncio.TimerHandle | None = None
        self._alarm_at = math.nan

    async def wait(self, deadline: float) -> None:
        wakeup = self.wakeup
        if wakeup.is_set():
            return
        if deadline != self._alarm_at:
            self.cancel()
            if deadline < math.inf:
                delay = deadline - self.clock()
                if delay <= 0:
                    return
                self._alarm = asyncio.get_running_loop().call_later(delay, self._ring)
                self._alarm_at = deadline
        await wakeup.wait()

    def _ring(self) -> None:
        self._alarm, self._alarm_at = None, math.nan
        self.wakeup.set()

    def cancel(self) -> None:
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm, self._alarm_at = None, math.nan


def feeds_for(app: Starlette) -> LiveFeeds:
    """The app's ``LiveFeeds``, made on first use (after the lifespan opened services)."""
    sources: LiveSources = app.state.services.live_sources
    feeds: LiveFeeds | None = getattr(app.state, "live_feeds", None)
    if feeds is None or feeds.sources is not sources:
        feeds = LiveFeeds(sources)
        app.state.live_feeds = feeds
    return feeds


def live_feeds(conn: HTTPConnection) -> LiveFeeds:
    """FastAPI dependency for HTTP and WebSocket routes: the app's ``LiveFeeds``."""
    return feeds_for(conn.app)


def _every_run(frames: FrameSource) -> list[LiveRun]:
    """The runs aggregated here and those other processes own: what the installation
    stream sends states of."""
    return [*frames.live_runs(), *frames.remote_runs()]
