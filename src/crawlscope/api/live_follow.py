"""Following one run for one connection: resume, live events, gaps, state frames, the end.

``RunFollower`` is the per-run half of the live feeds (``crawlscope.api.live``): it
subscribes to the hub and replays the events after the client's position exactly once
(the ring buffer, else the store, flushing the recorder when the newest are not stored
yet), turns a seq jump into a ``gap``, decides when a ``state`` frame is due, and ends
with the final state and ``end``. Runs this process does not number (a runner of another
process writing to the same database) are followed by polling the store. It does not
wait itself: its owner waits for the shared wakeup event or ``deadline()`` and calls
``step()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncGenerator, Awaitable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import msgspec

from crawlscope.bus import EventFeed
from crawlscope.events import Action, ActivityEvent
from crawlscope.status import RunStatus
from crawlscope.store import EventQuery

if TYPE_CHECKING:
    from crawlscope.api.live import LiveConfig, LiveFeeds

__all__ = ["Chunk", "Message", "RunFollower", "StateTrack", "encode", "shielded"]

encode = msgspec.json.Encoder().encode
"""JSON bytes of any struct or builtin (one shared encoder)."""

_END_ACTIONS = frozenset({Action.RUN_COMPLETED, Action.RUN_CANCELLED, Action.RUN_FAILED})
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Message:
    """One stream message: ``activity``, ``state``, ``gap``, ``end`` or ``system``.

    ``data`` is the JSON body; ``id`` is set on activity events only (``seq``, or
    ``run_id:seq`` for the focused run of the installation stream).
    """

    kind: str
    data: bytes
    id: str | None = None


Chunk = list[Message]


async def shielded(read: Awaitable[_T]) -> _T:
    """A store read that a client's disconnect does not interrupt.

    Cancelling a query half-way makes SQLAlchemy's aiosqlite adapter tear its connection
    down in a task of its own that can be left pending; the read is short, so let it
    finish and drop the result instead.
    """
    return await asyncio.shield(read)


@dataclass
class StateTrack:
    """When one run's next state frame is due on one connection."""

    version: int = -1
    at: float = -math.inf
    final_sent: bool = False

    def due(self, version: int, ended: bool, config: LiveConfig) -> float:
        """When the next frame may go: soon after a change or the end, else a heartbeat."""
        if self.final_sent:
            return math.inf
        if version != self.version or ended:
            return self.at + config.state_interval
        return self.at + config.state_heartbeat

    def sent(self, version: int, ended: bool, now: float) -> None:
        """Note a frame of ``version`` sent at ``now`` (the final one if ``ended``)."""
        self.version, self.at, self.final_sent = version, now, ended


@dataclass
class RunFollower:
    """Follows one run for one connection: resume, live events, gaps, states, end."""

    feeds: LiveFeeds
    run_id: str
    cursor: int | None
    wakeup: asyncio.Event
    id_prefix: str = ""
    done: bool = False
    sub: EventFeed | None = None
    track: StateTrack = field(default_factory=StateTrack)
    ending: RunStatus | str | None = None
    """Set once the run ended: its final status (``ended`` when the run vanished)."""
    next_poll: float = 0.0
    polled: int = 0

    async def open(self) -> AsyncGenerator[Chunk, None]:
        """The state frame, then the events after the client's position."""
        feeds, bus = self.feeds, self.feeds.sources.bus
        state = await feeds.state(self.run_id)
        # Subscribe before handing out anything: the position "now" is this instant.
        resume = self.cursor is not None
        after = self.cursor if self.cursor is not None else bus.last_seq(self.run_id)
        follow = await bus.follow(self.run_id, after, feeds.config.queue_size, wakeup=self.wakeup)
        if follow is not None:
            self.sub = follow.feed
            # Live from the newest shown, which a bus shared by processes may know better
            # than this process's numbering did.
            self.cursor = after if resume else max(after, follow.last_seq)
        if state is not None:
            self.track.sent(self._version(), False, feeds.clock())
            yield [state[0]]
        if follow is None:
            # Not numbered here: a finished run, or one that another process runs.
            if self.cursor is None:
                self.cursor = await shielded(feeds.sources.events.max_seq(self.run_id))
            return
        if not resume:
            return
        assert self.sub is not None
        assert self.cursor is not None
        async for chunk in self._catch_up(follow.replay, follow.last_seq):
            yield chunk
        # Events published while the store was read may have overflowed the queue: fill
        # that hole from the ring or the store as well, since this client is not to blame.
        events = [i for i in self.sub.drain() if isinstance(i, ActivityEvent)]
        if events and events[0].seq > self.cursor + 1:
            async for chunk in self._catch_up(None, events[0].seq - 1):
                yield chunk
        if events:
            yield self._activity(events)

    async def _catch_up(
        self, replay: list[ActivityEvent] | None, upto: int
    ) -> AsyncGenerator[Chunk, None]:
        """Events ``cursor+1 .. upto``: the ring when it holds them, else the store."""
        feeds, page_size = self.feeds, self.feeds.config.history_page
        flushed = False
        assert self.cursor is not None
        while self.cursor < upto:
            if replay is None:
                replay = await feeds.sources.bus.replay(self.run_id, self.cursor)
            if replay is not None:
                for start in range(0, len(replay), page_size):
                    chunk = self._activity(
                        e for e in replay[start : start + page_size] if e.seq <= upto
                    )
                    if chunk:
                        yield chunk
                break
            query = EventQuery(run_id=self.run_id, after_seq=self.cursor, limit=page_size)
            page = [e for e in await shielded(feeds.sources.events.read(query)) if e.seq <= upto]
            if page:
                yield self._activity(page)
            elif not flushed:
                # The newest events may still sit in the recorder's buffer.
                flushed = True
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(feeds.config.flush_timeout):
                        await feeds.sources.flush_events()
            else:
                yield [self._gap(upto - self.cursor)]  # neither ring nor store has them
                self.cursor = upto

    def _activity(self, events: Iterable[ActivityEvent]) -> Chunk:
        """Activity messages for events after the cursor; a seq jump becomes a ``gap``."""
        out: Chunk = []
        cursor = self.cursor or 0
        prefix = self.id_prefix
        for event in events:
            seq = event.seq
            if seq <= cursor:
                continue
            if seq > cursor + 1:
                self.cursor = cursor
                out.append(self._gap(seq - cursor - 1))
            out.append(Message("activity", encode(event), f"{prefix}{seq}"))
            cursor = seq
            if event.action in _END_ACTIONS:
                self.ending = str(event.action).removeprefix("run_")
        self.cursor = cursor
        return out

    def _gap(self, missed: int) -> Message:
        after = self.cursor or 0
        body = {
            "run_id": self.run_id,
            "missed": missed,
            "after_seq": after,
            "events_url": f"/api/runs/{self.run_id}/events?after_seq={after}"
            f"&limit={min(max(missed, 1), 5000)}",
        }
        return Message("gap", encode(body))

    def _version(self) -> int:
        if self.sub is None:
            return self.polled
        run = self.feeds.sources.frames.live(self.run_id)
        if run is not None:
            return run.version
        # Aggregated by another process (a shared bus): new events make a state due.
        return self.cursor or 0

    def deadline(self) -> float:
        """When this follower next needs attention even if no event arrives."""
        if self.done:
            return math.inf
        due = self.track.due(self._version(), self.ending is not None, self.feeds.config)
        return due if self.sub is not None else min(due, self.next_poll)

    async def step(self) -> Chunk:
        """Whatever is ready now: events, a due state frame, the end."""
        if self.done:
            return []
        out: Chunk = []
        if self.sub is not None:
            out.extend(self._activity(i for i in self.sub.drain() if isinstance(i, ActivityEvent)))
            run = self.feeds.sources.frames.live(self.run_id)
            if self.ending is None and (self.sub.closed or (run is not None and run.ended)):
                if run is not None and not self.sub.closed:
                    # The aggregate sees events before they are stored and shown: have the
                    # run's last events stored, so they go out before ``end``.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.feeds.config.flush_timeout):
                            await self.feeds.sources.flush_events()
                    events = self.sub.drain()
                    out.extend(self._activity(i for i in events if isinstance(i, ActivityEvent)))
                self.ending = run.status if run is not None else "ended"
        elif self.feeds.clock() >= self.next_poll:
            out.extend(await self._poll())
        now = self.feeds.clock()
        ending = self.ending is not None
        if self.track.due(self._version(), ending, self.feeds.config) > now:
            return out
        state = await self.feeds.state(self.run_id)
        if ending and state is not None and not state[1].terminal:
            state = await self._final_state(state)
        self.track.sent(self._version(), False, now)
        if state is not None:
            out.append(state[0])
            if ending and state[1].terminal:
                self.ending = state[1]
        if ending:
            out.append(Message("end", encode({"run_id": self.run_id, "status": self.ending})))
            self.done = True
            self.close()
        return out

    async def _final_state(self, state: tuple[Message, RunStatus]) -> tuple[Message, RunStatus]:
        """The run's last event went out but its frame does not show the end yet: another
        process aggregates the run (a shared bus) and publishes its frame a moment after
        the event. Wait for that frame (at most ``flush_timeout``), so the last state
        before ``end`` is the finished run's."""
        feeds = self.feeds
        if feeds.sources.frames.live(self.run_id) is not None:
            return state  # aggregated here: its frame has seen every event sent
        for _ in range(max(1, int(feeds.config.flush_timeout / 0.05))):
            await asyncio.sleep(0.05)
            found = await feeds.state(self.run_id)
            if found is None:
                break
            state = found
            if state[1].terminal:
                break
        return state

    async def _poll(self) -> Chunk:
        """A run not numbered here: read its new events and its status from the store."""
        feeds, out = self.feeds, []
        self.next_poll = feeds.clock() + feeds.config.poll_interval
        assert self.cursor is not None
        bus = feeds.sources.bus
        follow = await bus.follow(
            self.run_id, self.cursor, feeds.config.queue_size, wakeup=self.wakeup
        )
        if follow is not None:
            # The run came alive here (a remote runner started reporting): follow the bus.
            self.sub = follow.feed
            async for chunk in self._catch_up(follow.replay, follow.last_seq):
                out.extend(chunk)
            return out
        # The status first: a run's final row is written after all its events are stored.
        frame = await shielded(feeds.sources.frames.frame(self.run_id, with_workers=False))
        while True:
            query = EventQuery(
                run_id=self.run_id, after_seq=self.cursor, limit=feeds.config.history_page
            )
            page = await shielded(feeds.sources.events.read(query))
            out.extend(self._activity(page))
            if len(page) < feeds.config.history_page:
                break
        if frame is None or frame.status.terminal:
            self.ending = frame.status if frame is not None else "ended"
        if out:
            self.polled += 1  # new stored events: a fresh state is due
        return out

    def close(self) -> None:
        """Stop following (idempotent)."""
        if self.sub is not None:
            self.sub.close()
