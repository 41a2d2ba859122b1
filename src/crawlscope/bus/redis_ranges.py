"""Reading a run's stream by seq: what ``RedisBus.follow`` and ``replay`` need.

An entry holds a batch of events; its id is ``{last seq}-0`` and its ``f`` field the
first seq (bus/redis_keys.py). So "the events after seq 41" are in ``XRANGE key (41-0
+`` (the first of those entries may also hold seqs up to 41, left out), and whether the
stream still holds all of them is a comparison with its first entry's ``f``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from crawlscope.events import ActivityEvent

__all__ = ["Range", "decode", "decode_batch", "read_range", "seq_of"]

decode = msgspec.json.Decoder(ActivityEvent).decode
"""An event from a lifecycle entry's ``e`` field."""

decode_batch = msgspec.json.Decoder(list[ActivityEvent]).decode
"""The events of a run stream entry's ``e`` field."""


def seq_of(entry_id: bytes | str) -> int:
    """The seq of a run stream's entry id (``42-0`` -> 42)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.partition("-")[0])


@dataclass(frozen=True, slots=True)
class Range:
    """A run stream's ends and the events it holds after a seq, read at one instant."""

    first: int | None
    """The oldest seq held (None: no stream, nothing shown yet or expired)."""
    top: int | None
    """The newest seq held."""
    events: list[ActivityEvent]

    def replay(self, after_seq: int, numbered_upto: int | None) -> list[ActivityEvent] | None:
        """The events after ``after_seq``, or None when the stream no longer holds all of
        them (the caller reads the store). ``numbered_upto``: the last seq this process
        gave in the run (None if it does not number the run)."""
        if self.top is None:
            # No stream: only a run numbered here up to ``after_seq`` has nothing to replay.
            return [] if numbered_upto is not None and after_seq >= numbered_upto else None
        if after_seq >= self.top:
            return []
        if self.first is not None and self.first <= after_seq + 1:
            return self.events
        return None


async def read_range(redis: Any, key: str, after_seq: int, upto: int | None = None) -> Range:
    """The stream's ends and its events after ``after_seq`` (up to ``upto``), in one
    transaction."""
    pipe = redis.pipeline(transaction=True)
    pipe.xrange(key, count=1)
    pipe.xrevrange(key, count=1)
    pipe.xrange(key, min=f"({after_seq}-0", max="+" if upto is None else f"{upto}-0")
    head, tail, entries = await pipe.execute()
    events = [
        event
        for _, fields in entries
        for event in decode_batch(fields[b"e"])
        if event.seq > after_seq and (upto is None or event.seq <= upto)
    ]
    return Range(
        int(head[0][1][b"f"]) if head else None,
        seq_of(tail[0][0]) if tail else None,
        events,
    )
