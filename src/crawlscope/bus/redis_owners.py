"""Leases on remote runs and their published frames, in Redis (``RunOwners``).

A run ingested by several API processes is aggregated by one of them, its owner: the
process that first claims the run's lease (``{prefix}:owner:{run_id}``, ``SET NX PX``)
when a batch of the run reaches it. The owner renews the lease while it holds the run and
publishes the run's frame to ``{prefix}:frame:{run_id}`` with the same expiry, in one
script call per publishing round for all its runs (``PUBLISH_FRAMES``), which also
announces the frames written on the frame notices stream that every process's bus reader
follows (``bus/frame_notices.py``). A process that
dies stops renewing: its lease expires and the next process that ingests a batch of the
run claims it (docs/architecture.md, "State frames from the run's owner").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

import msgspec

from crawlscope.aggregate import RunFrame
from crawlscope.bus.frame_notices import FrameNotices, RemoteRun, notice
from crawlscope.bus.owners import PublishedFrame
from crawlscope.bus.redis_keys import CLAIM, PUBLISH_FRAMES, RELEASE, Keys
from crawlscope.bus.redis_outbox import TRANSIENT

__all__ = ["RedisOwners"]

log = logging.getLogger(__name__)

_decode = msgspec.json.Decoder(RunFrame).decode


class RedisOwners:
    """This process's leases on remote runs, over the bus's Redis connection.

    ``lease_ms``: how long a lease outlives its last renewal, so how long the runs of a
    process that died go without an aggregating process (their rows keep their last
    frame meanwhile). The owner renews at least every third of it. ``notices``: where this
    process's bus reader keeps the frame notices of every owner (none: this process
    learns of no run owned elsewhere); ``notices_maxlen`` bounds their stream (entries,
    ``MAXLEN ~``; a reader further behind misses some, and catches up with the next frame
    of each run, at most a third of a lease later).
    """

    shared = True

    def __init__(
        self,
        redis: Any,
        keys: Keys,
        *,
        lease_ms: int = 10_000,
        notices: FrameNotices | None = None,
        notices_maxlen: int = 1_000,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self.lease_ms = lease_ms
        self.notices = notices
        self.notices_maxlen = notices_maxlen
        self.read_timeout = 1.0
        """Seconds a reader waits for a published frame before it reads the row."""
        self.token = uuid.uuid4().hex
        self._owned: set[str] = set()
        self._claim: Any = redis.register_script(CLAIM)
        self._publish: Any = redis.register_script(PUBLISH_FRAMES)
        self._release: Any = redis.register_script(RELEASE)

    def owns(self, run_id: str) -> bool:
        """Whether this process holds the run's lease, as of its last claim or renewal."""
        return run_id in self._owned

    async def claim(self, run_id: str) -> bool:
        """Take the run's lease unless another live process holds it.

        Redis unavailable: False (the caller goes on without aggregating the run; a later
        batch claims again).
        """
        try:
            got = int(
                await self._claim(keys=[self._keys.owner(run_id)], args=[self.token, self.lease_ms])
            )
        except TRANSIENT as exc:
            log.warning("run %s: its lease cannot be claimed now (%s)", run_id, exc)
            return False
        if got:
            self._owned.add(run_id)
        return bool(got)

    async def publish(self, frames: dict[str, PublishedFrame | None]) -> list[str]:
        """Renew the leases of ``frames``' runs, publish the frames given (None: renew
        only) and announce them on the frame notices stream; returns the runs another
        process owns now. Raises Redis's connection errors (the caller retries at its next
        round)."""
        if not frames:
            return []
        run_ids = list(frames)
        keys = [self._keys.frames]
        args: list[Any] = [self.token, self.lease_ms, self.notices_maxlen]
        for run_id in run_ids:
            keys += [self._keys.owner(run_id), self._keys.frame(run_id)]
            frame = frames[run_id]
            if frame is None:
                args += [b"", b""]
            else:
                args += [frame.body, notice(run_id, frame.version, frame.status)]
        lost_at = await self._publish(keys=keys, args=args)
        lost = [run_ids[int(i) - 1] for i in lost_at]
        self._owned.difference_update(lost)
        return lost

    def remote_runs(self) -> list[RemoteRun]:
        """The live runs other processes own, newest notice each (``RunOwners``)."""
        if self.notices is None:
            return []
        return [
            run for run in self.notices.runs(besides=self.token) if run.run_id not in self._owned
        ]

    def watch(self, wakeup: asyncio.Event) -> None:
        """Set ``wakeup`` whenever a notice brings a new frame (``RunOwners``)."""
        if self.notices is not None:
            self.notices.watch(wakeup)

    def unwatch(self, wakeup: asyncio.Event) -> None:
        """Stop setting ``wakeup``."""
        if self.notices is not None:
            self.notices.unwatch(wakeup)

    async def published(self, run_id: str) -> RunFrame | None:
        """The frame the run's owner published last (None: no owner now, or Redis is
        unavailable; the caller reads the row)."""
        try:
            # A request waits for this: a Redis that does not answer must not hold it up.
            async with asyncio.timeout(self.read_timeout):
                body = await self._redis.get(self._keys.frame(run_id))
        except (*TRANSIENT, TimeoutError):
            return None
        return None if body is None else _decode(body)

    async def release(self, run_id: str) -> None:
        """Give the lease and the frame published under it up, if still ours."""
        self._owned.discard(run_id)
        try:
            await self._release(
                keys=[self._keys.owner(run_id), self._keys.frame(run_id)], args=[self.token]
            )
        except TRANSIENT as exc:
            # It expires on its own within ``lease_ms``.
            log.warning("run %s: its lease could not be released (%s)", run_id, exc)

    async def note_heard(self, run_id: str) -> None:
        """Note for the run's owner that its runner was heard of here (now)."""
        # Not noted (Redis away): the owner may sweep a paused run; its runner's next
        # request that carries events revives it.
        with contextlib.suppress(*TRANSIENT):
            await self._redis.set(self._keys.heard(run_id), repr(time.time()), px=3_600_000)

    async def heard_at(self, run_id: str) -> float | None:
        """When a process that does not own the run last heard of its runner (Unix time)."""
        try:
            async with asyncio.timeout(self.read_timeout):
                value = await self._redis.get(self._keys.heard(run_id))
        except (*TRANSIENT, TimeoutError):
            return None
        return None if value is None else float(value)
