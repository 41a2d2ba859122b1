"""What ``RedisBus`` (bus/redis_streams.py) holds per run: numbering, reading, feeds."""

from __future__ import annotations

from crawlscope.bus.hub import Subscription

__all__ = ["RunState"]


class RunState:
    """One run as one process's Redis bus knows it: the seqs it gave or saw, where its
    reader reads the run's stream from, the block of seqs reserved for an ingested batch,
    and the local feeds of the run."""

    __slots__ = ("block_end", "block_next", "confirmed", "feeds", "last_seq", "local", "shown")

    def __init__(self, last_seq: int) -> None:
        self.last_seq = last_seq
        """The highest seq given here or seen on the run's stream."""
        self.shown = last_seq
        """Where the reader reads the run's stream from (the last seq fanned out)."""
        self.confirmed = 0
        """The highest seq this process put on the run's stream."""
        self.block_next = 1
        self.block_end = 0
        self.feeds: dict[Subscription, int] = {}
        """Each feed and the seq after which it receives events."""
        self.local = False
        """Numbered here (opened, published or reserved); else only followed here."""
