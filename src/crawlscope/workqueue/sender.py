"""What a worker sends to a run's coordinator: events as they happen, and task results."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.exceptions import RedisError

from crawlscope.workqueue.keys import GROUP, QueueKeys
from crawlscope.workqueue.messages import OutEntry, TaskResult, encode
from crawlscope.workqueue.run_here import RunHere

__all__ = ["Sender"]

log = logging.getLogger(__name__)

_RETRY_S = 0.5
_MAX_BUFFERED_EVENTS = 50_000


class Sender:
    """Sends to the runs' ``out`` streams, one send at a time: a task's events must reach
    its coordinator before its result does (both drain the run's event buffer)."""

    def __init__(self, redis: Any, keys: QueueKeys, worker: str) -> None:
        self._redis = redis
        self._keys = keys
        self._worker = worker
        self._sending = asyncio.Lock()

    async def deliver(self, run: RunHere, stream: str, entry: str, result: TaskResult) -> None:
        """The result and the entry's acknowledgement, in one transaction: a task is
        either done on the queue with its result on its way, or still to do. Retried
        until Redis takes it (the entry's lease is kept meanwhile)."""
        out = self._keys.out(run.spec.run_id)
        while True:
            async with self._sending:
                events = run.drain_events()
                data = encode(OutEntry(events=events, results=[result]))
                try:
                    async with self._redis.pipeline(transaction=True) as pipe:
                        pipe.xadd(out, {"d": data})
                        pipe.xack(stream, GROUP, entry)
                        await pipe.execute()
                    return
                except RedisError as exc:
                    run.events[:0] = events
                    log.warning(
                        "worker %s: delivering a result failed (%r); retrying", self._worker, exc
                    )
            await asyncio.sleep(_RETRY_S)

    async def flush(self, runs: list[RunHere]) -> None:
        """Send the events the runs' tasks emitted since the last send."""
        async with self._sending:
            for run in runs:
                if not run.events:
                    continue
                events = run.drain_events()
                try:
                    await self._redis.xadd(
                        self._keys.out(run.spec.run_id), {"d": encode(OutEntry(events=events))}
                    )
                except RedisError:
                    # Kept for the next try, at most a bounded number (then the oldest go).
                    run.events[:0] = events[-_MAX_BUFFERED_EVENTS:]
                    raise
