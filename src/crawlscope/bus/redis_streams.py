"""The event bus over Redis Streams: several API processes share runs' live events.

``RedisBus`` implements ``crawlscope.bus.base.EventBus``. Every process on one Redis (and
one database) shows every run's events to its readers, and a reader may resume with
``Last-Event-ID`` against any of them (docs/architecture.md, "The Redis Streams bus"):

* ``publish`` numbers the event and calls the listeners (recorder, aggregator) inline, as
  the hub does; nothing is sent to Redis then.
* ``deliver`` (the recorder, once a batch is stored) queues the events in a bounded local
  outbox; a flusher task appends each run's batch to the run's stream as one entry (id
  ``{last seq}-0``) and system events to the lifecycle stream, in one script call. So
  Redis holds only stored events, and ``publish``/``deliver`` never wait for Redis.
* One reader task per process blocks on ``XREAD`` over the lifecycle stream, the frame
  notices of the runs' owners (kept in ``frame_notices``) and the streams of the runs it
  has feeds for, and fans every entry out to the local feeds (the hub's bounded,
  drop-oldest ``Subscription``). Every local feed, even of a run numbered here, is fed
  from Redis: one path, one order.
* ``reserve`` takes a block of seqs from a counter in Redis (``INCRBY``-like, one round
  trip per ingested batch), so processes that ingest one remote run never give one seq
  twice.

redis-py is an optional dependency (``pip install 'crawlscope[redis]'``): this module is
imported only when ``redis_url`` is set (``crawlscope.bus.select``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

from crawlscope.bus.base import BusUnavailable, Follow, Listener
from crawlscope.bus.frame_notices import FrameNotices
from crawlscope.bus.hub import Subscription
from crawlscope.bus.redis_keys import RESERVE, Keys
from crawlscope.bus.redis_outage import OutageLog
from crawlscope.bus.redis_outbox import TRANSIENT, Outbox
from crawlscope.bus.redis_owners import RedisOwners
from crawlscope.bus.redis_ranges import decode, decode_batch, read_range, seq_of
from crawlscope.bus.redis_run_state import RunState
from crawlscope.events import ActivityEvent

__all__ = ["RedisBus"]

log = logging.getLogger(__name__)


class RedisBus:
    """Numbers, fans out and briefly remembers activity events, through Redis Streams.

    ``url``: a ``redis://`` URL. ``prefix`` starts every key (installations or tests
    sharing a Redis). ``maxlen``: the last seqs kept per run stream (whole
    batches are trimmed, so up to one batch more stays): the replay horizon; older
    events come from the store. ``queue_size`` bounds every feed; ``outbox_size`` the
    delivered events waiting for Redis (beyond it the oldest are not shown live: they are
    stored, and readers get a gap and read the store).
    ``ttl_s``: a run's stream and counter expire this long after their last write.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "crawlscope",
        maxlen: int = 10_000,
        queue_size: int = 5_000,
        outbox_size: int = 100_000,
        ttl_s: int = 86_400,
    ) -> None:
        # Time limits, so a Redis that stops answering (a hung host, a partition) fails
        # calls instead of holding them (and ingest) for ever; the blocking XREAD waits
        # 2 s. One quick retry covers a pooled connection that Redis closed (a restart);
        # the bus's own loops retry the rest.
        self._redis: Any = aioredis.from_url(
            url,
            socket_connect_timeout=5.0,
            socket_timeout=5.0,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
        )
        # Health checks must say "down" at once, not after redis-py's retries (seconds).
        self._probe: Any = aioredis.from_url(
            url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2.0, socket_timeout=2.0
        )
        self.keys = Keys(prefix)
        self.maxlen = maxlen
        self.queue_size = queue_size
        self.outbox_size = outbox_size
        self.ttl_s = ttl_s
        self._wake_key = self.keys.wake(uuid.uuid4().hex)
        self._runs: dict[str, RunState] = {}
        self._listeners: list[Listener] = []
        self._global: list[Subscription] = []
        self._lifecycle: list[Subscription] = []
        self._lifecycle_pos = "$"
        self.frame_notices = FrameNotices()
        """The newest frame notice of every remote run an owner publishes (any process)."""
        self._frames_pos = "$"
        self._wake_pos = "$"
        self.outbox = Outbox(
            self._redis,
            self.keys,
            maxlen=maxlen,
            ttl_s=ttl_s,
            size=outbox_size,
            on_shown=self._shown,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._reserve_script: Any = self._redis.register_script(RESERVE)
        self.seq_floor: Callable[[str], Awaitable[int]] | None = None
        """The highest stored seq of a run (the server sets the store's ``max_seq``):
        asked when a run's counter is missing in Redis (its first batch, or Redis
        restarted without its memory), so a process that knows only an old part of the
        run does not hand out seqs another process already gave and stored."""

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Read the streams' current ends and start the reader and the flusher."""
        try:
            # From their ends: an owner announces each of its runs at least every third of
            # a lease, so the frame notices of live runs are heard of within seconds.
            keys = [self.keys.lifecycle, self.keys.frames]
            tops = [await self._redis.xrevrange(key, count=1) for key in keys]
            self._lifecycle_pos, self._frames_pos = (t[0][0].decode() if t else "0-0" for t in tops)
        except TRANSIENT as exc:
            log.warning("Redis unavailable at start (%s); the bus retries", exc)
        self._tasks = [
            asyncio.create_task(self._read_loop(), name="crawlscope-redis-reader"),
            asyncio.create_task(self.outbox.run(), name="crawlscope-redis-flusher"),
        ]

    async def close(self, timeout: float = 5.0) -> None:
        """Show what is in the outbox (at most ``timeout`` seconds), then disconnect."""
        if self._tasks:  # started: a bus never started has nobody to flush
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self.settled()
        self._closing = True
        if self._tasks:
            reader, flusher = self._tasks
            flusher.cancel()
            # Cancelling a blocked XREAD can leave redis-py's read pending (seen with 8.x):
            # wake it instead, and the loop ends on its own.
            with contextlib.suppress(RedisError, OSError):
                await self._redis.xadd(self._wake_key, {"w": b"1"}, maxlen=1)
            _, pending = await asyncio.wait([reader, flusher], timeout=3.0)
            for task in pending:
                task.cancel()
            self._tasks = []
        with contextlib.suppress(RedisError, OSError):
            await self._redis.delete(self._wake_key)
        await self._redis.aclose()
        await self._probe.aclose()

    async def ping(self) -> None:
        """Raise when Redis does not answer (one ``PING``, no retry: health checks)."""
        await self._probe.ping()

    @property
    def waiting(self) -> int:
        """Stored events waiting in the outbox to be shown (grows while Redis is away)."""
        return len(self.outbox)

    async def settled(self) -> None:
        """Return once everything delivered so far is on Redis (or dropped)."""
        await self.outbox.settled()

    @property
    def dropped(self) -> int:
        """Delivered events never shown live: the outbox was full (Redis slow or away)."""
        return self.outbox.dropped

    @property
    def refused(self) -> int:
        """Delivered events Redis refused: shown already, or after a later seq."""
        return self.outbox.refused

    def run_owners(self) -> RedisOwners:
        """Leases on remote runs and their published frames, on this bus's Redis
        (``crawlscope.bus.owners``)."""
        return RedisOwners(self._redis, self.keys, notices=self.frame_notices)

    # -- numbering ------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` inline for every event published here, in order."""
        self._listeners.append(listener)

    def open_run(self, run_id: str, last_seq: int = 0) -> None:
        """Number ``run_id``'s events here after ``last_seq`` (the stored maximum)."""
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = RunState(last_seq)
        elif last_seq > run.last_seq:
            run.last_seq = last_seq
        run.local = True

    def forget_run(self, run_id: str) -> None:
        """Stop holding a finished run here: its feeds end (its stream expires in Redis)."""
        run = self._runs.pop(run_id, None)
        if run is not None:
            for sub in list(run.feeds):
                sub.close()

    def has_run(self, run_id: str) -> bool:
        """Whether this process numbers or follows ``run_id``."""
        return run_id in self._runs

    def last_seq(self, run_id: str) -> int:
        """The highest seq of ``run_id`` given here or seen on its stream (0 if none)."""
        run = self._runs.get(run_id)
        return run.last_seq if run else 0

    async def reserve(self, run_id: str, count: int, key: str | None = None) -> None:
        """Take the next ``count`` seqs of ``run_id`` from the run's counter in Redis
        (the same ones again for the same ``key``: ``EventBus.reserve``)."""
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = RunState(0)
        run.local = True
        counter = self.keys.counter(run_id)
        keys = [counter, self.keys.run(run_id), self.keys.reservation(run_id, key or "-")]
        strict, named = "0" if self.seq_floor is None else "1", "0" if key is None else "1"
        script = self._reserve_script
        try:
            last = int(
                await script(keys=keys, args=[run.last_seq, count, self.ttl_s, strict, named])
            )
            if last < 0 and self.seq_floor is not None:
                # No counter: the store knows what every process stored (store before
                # Redis: a failing store raises here, and ingest answers 503).
                floor = max(run.last_seq, await self.seq_floor(run_id))
                last = int(await script(keys=keys, args=[floor, count, self.ttl_s, "0", named]))
        except TRANSIENT as exc:
            raise BusUnavailable(f"Redis is unavailable: {exc}") from exc
        run.block_next, run.block_end = last - count + 1, last

    def publish(self, event: ActivityEvent) -> ActivityEvent:
        """Assign the next seq (from a reserved block, if any) and call the listeners."""
        run = self._runs.get(event.run_id)
        if run is None:
            run = self._runs[event.run_id] = RunState(0)
            run.local = True
        if run.block_next <= run.block_end:
            event.seq = run.block_next
            run.block_next += 1
        else:
            event.seq = run.last_seq + 1
        if event.seq > run.last_seq:
            run.last_seq = event.seq
        for listener in self._listeners:
            listener(event)
        return event

    def deliver(self, events: Iterable[ActivityEvent]) -> None:
        """Queue stored events for their streams; never waits (see ``outbox_size``)."""
        self.outbox.put(events)

    # -- readers --------------------------------------------------------------------------

    def subscribe(
        self,
        run_id: str | None = None,
        maxsize: int | None = None,
        *,
        wakeup: asyncio.Event | None = None,
    ) -> Subscription:
        """A feed of one run's events shown from now on (or of every run this process
        follows, when ``run_id`` is None)."""
        sub = Subscription(self, run_id, maxsize or self.queue_size, wakeup)
        if run_id is None:
            self._global.append(sub)
        else:
            run = self._runs.get(run_id)
            if run is None:
                run = self._runs[run_id] = RunState(0)
            if not run.feeds and not self._global:
                # Nobody here read the stream lately: what this process showed is not new.
                run.shown = max(run.shown, run.confirmed)
            self._add_feed(run, sub, run.shown)
        return sub

    def subscribe_lifecycle(
        self, maxsize: int | None = None, *, wakeup: asyncio.Event | None = None
    ) -> Subscription:
        """A feed of the system events (run, phase, breaker) of every run on this Redis."""
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
        """Subscribe to a run with a stream (or numbered here) and replay after ``after_seq``.

        One transaction reads the stream's ends and its entries after ``after_seq``; the
        feed receives what comes after the newest of them. None for a run neither
        numbered here nor on Redis, and while Redis cannot be reached: the caller then
        reads the store and polls it (the SSE and WebSocket streams do), and follows
        again once Redis answers.
        """
        try:
            held = await read_range(self._redis, self.keys.run(run_id), after_seq)
        except TRANSIENT as exc:
            log.info("Redis unavailable (%s); run %s is read from the store", exc, run_id)
            return None
        run = self._runs.get(run_id)
        if run is None:
            if held.top is None:
                return None
            run = self._runs[run_id] = RunState(0)
        shown = held.top or 0
        if shown > run.last_seq:
            run.last_seq = shown
        replay = held.replay(after_seq, run.last_seq)
        sub = Subscription(self, run_id, maxsize or self.queue_size, wakeup)
        if not run.feeds and not self._global:
            run.shown = shown  # nobody here reads the stream now: start where we stand
        start = max(shown, run.shown)
        self._add_feed(run, sub, start)
        if start > shown and replay is not None:
            # The reader fanned out newer entries than our read saw, before the feed
            # existed: replay them too (the feed gets what comes after ``start``).
            try:
                newer = await read_range(self._redis, self.keys.run(run_id), shown, upto=start)
            except TRANSIENT:
                replay = None  # the caller reads them from the store
            else:
                replay.extend(newer.events)
        return Follow(sub, replay, start)

    async def replay(self, run_id: str, after_seq: int) -> list[ActivityEvent] | None:
        """Events of ``run_id`` after ``after_seq`` on its stream; None when the stream
        no longer holds all of them or Redis cannot be reached (the caller reads the
        store)."""
        try:
            held = await read_range(self._redis, self.keys.run(run_id), after_seq)
        except TRANSIENT:
            return None
        run = self._runs.get(run_id)
        return held.replay(after_seq, run.last_seq if run is not None else None)

    def subscriber_count(self) -> int:
        """Open feeds in this process (health figures, leak tests)."""
        return (
            len(self._global)
            + len(self._lifecycle)
            + sum(len(run.feeds) for run in self._runs.values())
        )

    def _add_feed(self, run: RunState, sub: Subscription, after: int) -> None:
        run.feeds[sub] = after
        self.outbox.wake(self._wake_key)  # the reader may not read this run's stream yet

    def _remove(self, sub: Subscription) -> None:
        if sub.lifecycle:
            if sub in self._lifecycle:
                self._lifecycle.remove(sub)
        elif sub.run_id is None:
            if sub in self._global:
                self._global.remove(sub)
        else:
            run = self._runs.get(sub.run_id)
            if run is not None:
                run.feeds.pop(sub, None)
                if not run.feeds and not run.local:
                    del self._runs[sub.run_id]  # only followed here: nothing left to hold

    # -- background tasks -------------------------------------------------------------------

    def _shown(self, events: list[ActivityEvent]) -> None:
        runs = self._runs
        for event in events:
            run = runs.get(event.run_id)
            if run is not None and event.seq > run.confirmed:
                run.confirmed = event.seq

    async def _read_loop(self) -> None:
        backoff = 0.05
        outage = OutageLog(log, "the bus's reader")
        while not self._closing:
            streams = {
                self.keys.lifecycle: self._lifecycle_pos,
                self.keys.frames: self._frames_pos,
                self._wake_key: self._wake_pos,
            }
            for run_id, run in self._runs.items():
                if run.feeds or self._global:
                    streams[self.keys.run(run_id)] = f"{run.shown}-0"
            try:
                # Blocks until an entry arrives (the wake stream interrupts it when the set
                # of streams changes); re-issued every 2 s, inside the client's 5 s socket
                # timeout, which is what notices a dead connection.
                reply = await self._redis.xread(streams, count=1000, block=2000)
                backoff = 0.05
                outage.succeeded()
            except (RedisError, OSError) as exc:
                if self._closing:
                    return
                outage.failed(exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            for key, entries in reply or ():
                self._fan_out(key.decode(), entries)

    def _fan_out(self, key: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        if key == self._wake_key:
            self._wake_pos = entries[-1][0].decode()
            return
        if key == self.keys.lifecycle:
            self._lifecycle_pos = entries[-1][0].decode()
            for _, fields in entries:
                event = decode(fields[b"e"])
                for sub in self._lifecycle:
                    sub.push(event)
            return
        if key == self.keys.frames:
            self._frames_pos = entries[-1][0].decode()
            self.frame_notices.take(entries)
            return
        run = self._runs.get(self.keys.run_id(key))
        if run is None:
            return
        feeds, everything = run.feeds, self._global
        for entry_id, fields in entries:
            if seq_of(entry_id) <= run.shown:
                continue
            for event in decode_batch(fields[b"e"]):
                seq = event.seq
                if seq <= run.shown:
                    continue
                run.shown = seq
                for sub, after in feeds.items():
                    if seq > after:
                        sub.push(event)
                for sub in everything:
                    sub.push(event)
        if run.shown > run.last_seq:
            run.last_seq = run.shown
