"""Which worker processes are there: each says so every few seconds, servers list them.

A worker writes its state to ``{prefix}:wq:worker:{name}`` (expiring after
``PRESENCE_TTL_S``) and its name with the time to the sorted set ``{prefix}:wq:workers``,
every ``PRESENCE_EVERY_S``; a worker that stops cleanly removes both. A worker that went
away (``kill -9``) disappears from the list when its key expires.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
import redis.asyncio as aioredis

from crawlscope.worker_presence import WorkerPresence
from crawlscope.workqueue.keys import QueueKeys

__all__ = ["PRESENCE_EVERY_S", "PRESENCE_TTL_S", "WorkerDirectory", "announce", "withdraw"]

PRESENCE_EVERY_S = 5.0
PRESENCE_TTL_S = 15


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(WorkerPresence).decode


def worker_key(keys: QueueKeys, name: str) -> str:
    """The key holding worker ``name``'s state."""
    return f"{keys.prefix}:wq:worker:{name}"


def directory_key(keys: QueueKeys) -> str:
    """The sorted set of worker names by when they last said so."""
    return f"{keys.prefix}:wq:workers"


async def announce(redis: Any, keys: QueueKeys, presence: WorkerPresence) -> None:
    """Say that worker ``presence.name`` is there, as it is now."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(worker_key(keys, presence.name), _encode(presence), ex=PRESENCE_TTL_S)
        pipe.zadd(directory_key(keys), {presence.name: time.time()})
        await pipe.execute()


async def withdraw(redis: Any, keys: QueueKeys, name: str) -> None:
    """Worker ``name`` stops."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.delete(worker_key(keys, name))
        pipe.zrem(directory_key(keys), name)
        await pipe.execute()


class WorkerDirectory:
    """The worker processes of an installation, for the server's API."""

    def __init__(self, redis_url: str, *, prefix: str = "crawlscope") -> None:
        self.keys = QueueKeys(prefix)
        self._redis: Any = aioredis.from_url(redis_url, socket_timeout=5)

    async def workers(self) -> list[WorkerPresence]:
        """Every worker that said so within the last ``PRESENCE_TTL_S``, by name."""
        now = time.time()
        directory = directory_key(self.keys)
        # Names of workers gone for long are dropped here, by whoever reads.
        await self._redis.zremrangebyscore(directory, "-inf", now - 4 * PRESENCE_TTL_S)
        names = await self._redis.zrangebyscore(directory, now - PRESENCE_TTL_S, "+inf")
        if not names:
            return []
        raw = await self._redis.mget([worker_key(self.keys, _text(n)) for n in names])
        found = [_decode(value) for value in raw if value is not None]
        return sorted(found, key=lambda w: w.name)

    async def close(self) -> None:
        """Close the connection."""
        await self._redis.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
