"""The in-process event bus: fan-out of activity events, per-run seq numbers and replay.

It implements ``crawlscope.bus.base.EventBus`` for one process. The hub is the one place
that numbers events (``seq``, per run, contiguous from 1). It
calls *listeners* inline (the recorder and the aggregator: they must see every event, in
order, and they only append to memory) and feeds *subscriptions* (SSE, WebSocket, tests),
each with its own bounded queue. A subscription that falls behind loses its oldest events
and is told how many; ``publish`` never waits for anyone.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
from collections.abc import AsyncIterator, Iterable
from typing import Protocol

from crawlscope.bus.base import Follow, Gap, Listener
from crawlscope.events import SYSTEM_ACTIONS, ActivityEvent

__all__ = ["FeedOwner", "Hub", "Subscription"]


class FeedOwner(Protocol):
    """The bus a ``Subscription`` tells when it closes (the hub, the Redis bus)."""

    def _remove(self, sub: Subscription) -> None: ...


class Subscription:
    """A bounded, drop-oldest queue of events for one reader.

    Iterate with ``async for``; items are ``ActivityEvent`` or ``Gap``. ``close()`` (or the
    hub closing) ends the iteration.

    Several subscriptions of one reader may share a ``wakeup`` event, so the reader waits
    once for any of them; it then clears the event itself and drains every one of them
    (``drain`` only clears an event the subscription owns).
    """

    def __init__(
        self,
        hub: FeedOwner,
        run_id: str | None,
        maxsize: int,
        wakeup: asyncio.Event | None = None,
        *,
        lifecycle: bool = False,
    ) -> None:
        self.run_id = run_id
        self.maxsize = maxsize
        self.lifecycle = lifecycle
        self.missed_total = 0
        self._hub = hub
        self._queue: collections.deque[ActivityEvent] = collections.deque()
        self._missed = 0
        self._owns_wakeup = wakeup is None
        self._wakeup = wakeup if wakeup is not None else asyncio.Event()
        self._closed = False

    def push(self, event: ActivityEvent) -> None:
        """Called by the hub; never blocks. Drops the oldest event when full."""
        queue = self._queue
        if len(queue) >= self.maxsize:
            queue.popleft()
            self._missed += 1
            self.missed_total += 1
        queue.append(event)
        if not self._wakeup.is_set():
            self._wakeup.set()

    def extend(self, events: Iterable[ActivityEvent]) -> None:
        """Queue replayed events ahead of live ones (used right after subscribing)."""
        for event in events:
            self.push(event)

    def pending(self) -> int:
        """How many events are waiting to be read."""
        return len(self._queue)

    def drain(self) -> list[ActivityEvent | Gap]:
        """Everything queued right now, without waiting (a ``Gap`` first if any were lost)."""
        out: list[ActivityEvent | Gap] = []
        if self._missed:
            out.append(Gap(self._missed, self.run_id))
            self._missed = 0
        out.extend(self._queue)
        self._queue.clear()
        if self._owns_wakeup:
            self._wakeup.clear()
        return out

    async def get(self, max_wait: float | None = None) -> list[ActivityEvent | Gap]:
        """Wait until something is queued (or ``max_wait`` seconds pass) and return all of it.

        Returns an empty list on timeout or once closed and drained.
        """
        if not self._queue and not self._missed and not self._closed:
            try:
                # asyncio.timeout, unlike wait_for, creates no task per call: this runs
                # once per delivered batch per subscriber.
                async with asyncio.timeout(max_wait):
                    await self._wakeup.wait()
            except TimeoutError:
                return []
        return self.drain()

    @property
    def closed(self) -> bool:
        """True once closed and nothing is left to read."""
        return self._closed and not self._queue and not self._missed

    def close(self) -> None:
        """Stop receiving; pending events can still be drained."""
        if not self._closed:
            self._closed = True
            self._hub._remove(self)
            self._wakeup.set()

    async def __aiter__(self) -> AsyncIterator[ActivityEvent | Gap]:
        while not self.closed:
            for item in await self.get():
                yield item

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _seq_of(event: ActivityEvent) -> int:
    return event.seq


class _RunChannel:
    __slots__ = ("last_seq", "ring", "shown", "subscribers")

    def __init__(self, last_seq: int, ring_size: int) -> None:
        self.last_seq = last_seq
        """The highest seq given (numbering)."""
        self.shown = last_seq
        """The highest seq delivered to readers (ring and feeds)."""
        self.ring: collections.deque[ActivityEvent] = collections.deque(maxlen=ring_size)
        self.subscribers: list[Subscription] = []


class Hub:
    """Numbers, fans out and briefly remembers activity events.

    ``ring_size`` events per run are kept for replay (``replay``); older ones come from the
    store. ``queue_size`` bounds every subscription's queue.

    With ``until_stored`` (what ``Monitor`` uses) readers get an event only once it is
    stored: ``publish`` numbers it and calls the listeners (the recorder among them), and
    the recorder hands each stored batch to ``deliver``, which fills the ring and the
    feeds. So no reader ever sees a seq that a crash could give to another event later
    (docs/architecture.md, "Shown means stored"). Without it, ``publish`` delivers at once.
    """

    def __init__(
        self, ring_size: int = 10_000, queue_size: int = 5_000, *, until_stored: bool = False
    ) -> None:
        self.ring_size = ring_size
        self.queue_size = queue_size
        self.until_stored = until_stored
        self._runs: dict[str, _RunChannel] = {}
        self._listeners: list[Listener] = []
        self._global: list[Subscription] = []
        self._lifecycle: list[Subscription] = []

    # -- wiring ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Nothing to connect: the hub lives in this process."""

    async def close(self) -> None:
        """Nothing to disconnect."""

    async def ping(self) -> None:
        """Nothing to reach: the hub lives in this process."""

    async def reserve(self, run_id: str, count: int, key: str | None = None) -> None:
        """Nothing to do: the hub is the only numbering owner of its runs."""

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` inline for every event, in order. It must be quick and not raise."""
        self._listeners.append(listener)

    def open_run(self, run_id: str, last_seq: int = 0) -> None:
        """Start numbering ``run_id`` after ``last_seq`` (non-zero when a run is continued)."""
        channel = self._runs.get(run_id)
        if channel is None:
            self._runs[run_id] = _RunChannel(last_seq, self.ring_size)
        elif last_seq > channel.last_seq:
            channel.last_seq = last_seq
        channel = self._runs[run_id]
        # Everything up to a continued run's stored seq is stored: readers may see it.
        channel.shown = max(channel.shown, last_seq)

    def forget_run(self, run_id: str) -> None:
        """Drop a finished run's ring buffer, ending its subscriptions."""
        channel = self._runs.pop(run_id, None)
        if channel is not None:
            for sub in list(channel.subscribers):
                sub.close()

    def last_seq(self, run_id: str) -> int:
        """The highest seq given in ``run_id`` so far (0 if none): "now" for a reader
        that starts live (with ``until_stored`` it may not be shown yet)."""
        channel = self._runs.get(run_id)
        return channel.last_seq if channel else 0

    def has_run(self, run_id: str) -> bool:
        """Whether the hub currently numbers events for ``run_id``."""
        return run_id in self._runs

    # -- the hot path ---------------------------------------------------------------------

    def publish(self, event: ActivityEvent) -> ActivityEvent:
        """Assign ``seq``, call listeners and (unless ``until_stored``) feed readers. Never
        waits."""
        channel = self._runs.get(event.run_id)
        if channel is None:
            channel = self._runs[event.run_id] = _RunChannel(0, self.ring_size)
        channel.last_seq += 1
        event.seq = channel.last_seq
        for listener in self._listeners:
            listener(event)
        if not self.until_stored:
            self._show(channel, event)
        return event

    def deliver(self, events: Iterable[ActivityEvent]) -> None:
        """Show stored events to readers (``until_stored``), in the order given.

        Events of a run no longer held, or already shown, are skipped.
        """
        runs = self._runs
        for event in events:
            channel = runs.get(event.run_id)
            if channel is not None and event.seq > channel.shown:
                self._show(channel, event)

    def _show(self, channel: _RunChannel, event: ActivityEvent) -> None:
        channel.shown = event.seq
        channel.ring.append(event)
        for sub in channel.subscribers:
            sub.push(event)
        for sub in self._global:
            sub.push(event)
        if self._lifecycle and event.action in SYSTEM_ACTIONS:
            for sub in self._lifecycle:
                sub.push(event)

    # -- readers --------------------------------------------------------------------------

    def subscribe(
        self,
        run_id: str | None = None,
        maxsize: int | None = None,
        *,
        wakeup: asyncio.Event | None = None,
    ) -> Subscription:
        """A new subscription to one run's events, or to every run's when ``run_id`` is None."""
        sub = Subscription(self, run_id, maxsize or self.queue_size, wakeup)
        if run_id is None:
            self._global.append(sub)
        else:
            channel = self._runs.get(run_id)
            if channel is None:
                channel = self._runs[run_id] = _RunChannel(0, self.ring_size)
            channel.subscribers.append(sub)
        return sub

    def subscribe_lifecycle(
        self, maxsize: int | None = None, *, wakeup: asyncio.Event | None = None
    ) -> Subscription:
        """A subscription to the system events (run, phase, breaker) of every run.

        Cheaper than a global subscription for readers that want only these: the hub
        tests the action once per event, and worker traffic never fills this queue.
        """
        sub = Subscription(self, None, maxsize or self.queue_size, wakeup, lifecycle=True)
        self._lifecycle.append(sub)
        return sub

    async def follow(
        self,
        run_id: str,
        after_seq: int,
        maxsize: int | None = None,
        *,
        wakeup: asyncio.Event | None = None,
    ) -> Follow | None:
        """Subscribe to a run this hub numbers and replay what came after ``after_seq``.

        Subscribing, reading ``last_seq`` and replaying happen without awaiting anything,
        so together they cover every event exactly once: the replay (or the store, when it
        returns None) up to ``last_seq``, the subscription after it.
        Returns None if the hub does not number ``run_id``.
        """
        channel = self._runs.get(run_id)
        if channel is None:
            return None
        sub = Subscription(self, run_id, maxsize or self.queue_size, wakeup)
        channel.subscribers.append(sub)
        return Follow(sub, self._replay(run_id, after_seq), channel.shown)

    async def replay(self, run_id: str, after_seq: int) -> list[ActivityEvent] | None:
        """Events of ``run_id`` with ``seq > after_seq`` from the ring buffer.

        Returns None when the ring no longer holds all of them (the caller reads the store).
        """
        return self._replay(run_id, after_seq)

    def _replay(self, run_id: str, after_seq: int) -> list[ActivityEvent] | None:
        """Events of ``run_id`` with ``seq > after_seq`` from the ring buffer.

        Returns None when the ring no longer holds all of them (the caller reads the store).
        """
        channel = self._runs.get(run_id)
        if channel is None:
            return None
        if after_seq >= channel.shown:
            return []
        ring = channel.ring
        if not ring or ring[0].seq > after_seq + 1:
            return None
        start = after_seq + 1 - ring[0].seq
        if start >= len(ring) or ring[start].seq != after_seq + 1:
            # A hole in the ring (an event the store refused was never shown): search.
            start = bisect.bisect_right(ring, after_seq, key=_seq_of)
        return [ring[i] for i in range(start, len(ring))]

    def subscriber_count(self) -> int:
        """Open subscriptions across all runs (for health and leak tests)."""
        return (
            len(self._global)
            + len(self._lifecycle)
            + sum(len(c.subscribers) for c in self._runs.values())
        )

    def _remove(self, sub: Subscription) -> None:
        if sub.lifecycle:
            if sub in self._lifecycle:
                self._lifecycle.remove(sub)
            return
        if sub.run_id is None:
            if sub in self._global:
                self._global.remove(sub)
            return
        channel = self._runs.get(sub.run_id)
        if channel is not None and sub in channel.subscribers:
            channel.subscribers.remove(sub)
