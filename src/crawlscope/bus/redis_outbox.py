"""The Redis bus's outbox: stored events waiting to be appended to their streams.

``RedisBus.deliver`` must never wait for Redis, so it only appends to this bounded,
in-memory queue; one flusher task empties it in script calls of up to ``BATCH`` events
(``DELIVER`` in ``bus/redis_keys.py``), one stream entry per run per call: the work
per call hardly grows with its events. While Redis is unreachable the events wait and
the flusher retries with backoff; once the queue is full its oldest events are dropped
from the live path (they are stored: readers get a gap and read the store).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from crawlscope.bus.redis_keys import DELIVER, Keys
from crawlscope.bus.redis_outage import OutageLog
from crawlscope.events import SYSTEM_ACTIONS, ActivityEvent

__all__ = ["BATCH", "TRANSIENT", "Outbox"]

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode

TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError)
"""Failures that go away when Redis comes back: retried, with backoff."""

BATCH = 500
"""Events per delivery script call (Redis runs a script alone: keep each one short)."""


class Outbox:
    """Bounded queue of stored events plus the task that appends them to Redis.

    ``on_shown(events)`` is called with each batch Redis took. ``wake(key)`` asks the
    flusher to write to a process's wake stream (its reader's blocked read returns).
    """

    def __init__(
        self,
        redis: Any,
        keys: Keys,
        *,
        maxlen: int,
        ttl_s: int,
        size: int,
        on_shown: Callable[[list[ActivityEvent]], None],
    ) -> None:
        self.size = size
        self.dropped = 0
        """Events never shown because the outbox was full or Redis refused the call."""
        self.refused = 0
        """Events Redis refused: shown already, or after a later seq of their run."""
        self._redis = redis
        self._keys = keys
        self._maxlen = maxlen
        self._ttl_s = ttl_s
        self._on_shown = on_shown
        self._script: Any = redis.register_script(DELIVER)
        self._queue: collections.deque[ActivityEvent] = collections.deque()
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake_key: str | None = None

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, events: Iterable[ActivityEvent]) -> None:
        """Queue events for their streams; never waits."""
        queue = self._queue
        for event in events:
            if len(queue) >= self.size:
                queue.popleft()
                self.dropped += 1
            queue.append(event)
        if queue:
            self._ready.set()

    def wake(self, key: str) -> None:
        """Have the flusher write one entry to the wake stream ``key`` soon."""
        self._wake_key = key
        self._ready.set()

    async def settled(self) -> None:
        """Return once everything queued so far is on Redis (or dropped)."""
        while self._queue or not self._idle.is_set():
            self._ready.set()
            await self._idle.wait()
            await asyncio.sleep(0)

    async def run(self) -> None:
        """The flusher task: empties the queue whenever something is put."""
        backoff = 0.05
        outage = OutageLog(log, "the outbox's flusher")
        while True:
            await self._ready.wait()
            self._ready.clear()
            self._idle.clear()
            try:
                if self._wake_key is not None:
                    await self._redis.xadd(self._wake_key, {"w": b"1"}, maxlen=1)
                    # Deleted at close; a process killed before leaves it to expire.
                    await self._redis.expire(self._wake_key, self._ttl_s)
                    self._wake_key = None
                while self._queue:
                    await self._flush()
                backoff = 0.05
                outage.succeeded()
            except TRANSIENT as exc:
                outage.failed(exc, f" ({len(self._queue)} stored events wait to be shown)")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                self._ready.set()
            except RedisError as exc:
                # Redis refused the call itself (not one event): retrying cannot help.
                refused = min(BATCH, len(self._queue))
                log.error("Redis refused %d events (%r); they are not shown live", refused, exc)
                for _ in range(refused):
                    self._queue.popleft()
                self.dropped += refused
                self._ready.set()
            finally:
                self._idle.set()

    async def _flush(self) -> None:
        queue = self._queue
        batch = [queue[i] for i in range(min(BATCH, len(queue)))]
        runs: dict[str, list[ActivityEvent]] = {}
        for event in batch:
            runs.setdefault(event.run_id, []).append(event)
        keys = [self._keys.lifecycle]
        args: list[Any] = [self._maxlen, self._ttl_s]
        for run_id, events in runs.items():
            keys.append(self._keys.run(run_id))
            system = b"\n".join(_encode(e) for e in events if e.action in SYSTEM_ACTIONS)
            args += [events[0].seq, events[-1].seq, len(events), _encode(events), system]
        self.refused += int(await self._script(keys=keys, args=args))
        # Removed only once on Redis: a failed call is retried (duplicates are refused).
        for _ in range(min(len(batch), len(queue))):
            queue.popleft()
        self._on_shown(batch)
