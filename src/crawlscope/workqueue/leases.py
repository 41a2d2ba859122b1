"""A worker's leases on task entries: taking over expired ones, renewing its own.

A task entry is leased to the consumer that holds it in the group's pending list; its
idle time there is the lease's age. Renewing is claiming one's own entries again
(``XCLAIM ... JUSTID`` with no minimum idle time), which resets their idle time; an
entry idle for a whole lease belongs to a worker that is gone or stalled, and any other
worker may take it.
"""

from __future__ import annotations

from typing import Any

from crawlscope.workqueue.keys import GROUP

__all__ = ["renew", "take_expired"]


async def take_expired(
    redis: Any, stream: str, consumer: str, lease_ms: int, count: int, held: dict[str, str]
) -> list[tuple[Any, dict[bytes, bytes]]]:
    """Claim up to ``count`` entries of ``stream`` idle for at least ``lease_ms``, other
    than those in ``held``; the entries claimed, with their fields."""
    # Not XAUTOCLAIM: it looks at no more than ten times COUNT pending entries per call
    # from where it is told to start, and COUNT is often one free slot, so expired
    # entries behind ten live ones went unseen (and walking its cursor costs a call per
    # ten entries). XPENDING with IDLE filters the whole pending list in Redis, in one
    # call; XCLAIM with the same minimum idle time takes only what is still expired when
    # it runs.
    pending = await redis.xpending_range(stream, GROUP, "-", "+", count, idle=lease_ms)
    ids = [p["message_id"] for p in pending if _text(p["message_id"]) not in held]
    if not ids:
        return []
    claimed: list[tuple[Any, dict[bytes, bytes]]] = await redis.xclaim(
        stream, GROUP, consumer, lease_ms, ids
    )
    return claimed


async def renew(redis: Any, consumer: str, held: dict[str, str]) -> None:
    """Renew the lease of every entry in ``held`` (entry id -> stream)."""
    by_stream: dict[str, list[str]] = {}
    for entry, stream in list(held.items()):
        by_stream.setdefault(stream, []).append(entry)
    for stream, entries in by_stream.items():
        await redis.xclaim(stream, GROUP, consumer, 0, entries, justid=True)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
