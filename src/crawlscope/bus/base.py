"""The event bus: what carries a run's numbered events from whoever has them to its readers.

``EventBus`` is the interface; ``crawlscope.bus.hub.Hub`` is the in-process implementation
(the default, embedded topology) and a Redis Streams implementation follows the same
contract for several processes (docs/architecture.md, "Interfaces").

The contract, whichever implementation:

* ``publish`` numbers an event (``seq``, per run, contiguous from 1) and never waits: a
  slow reader cannot slow the workers.
* Readers (feeds, replay) see an event only once it is stored, when the bus is built for
  that (the server's and a ``Monitor``'s always are): the recorder hands every stored
  batch to ``deliver``. A seq shown to anyone is then never given to another event, even
  if the process dies (the numbering resumes after the stored maximum).
* *Listeners* (the recorder and the aggregator of the process that owns a run) see every
  event inline, in order.
* *Feeds* (``EventFeed``: SSE, WebSocket, tests) each have a bounded queue that drops its
  oldest events when the reader falls behind and says how many with a ``Gap``.
* ``follow`` subscribes to a run and replays the events after a seq in one step, so a
  reader sees every event exactly once; events older than the bus keeps come from the
  store.
* ``subscribe_lifecycle`` delivers the system events (run, phase, breaker) of every run.
* ``reserve`` is awaited before a batch of a run that other processes may number too
  (ingest), so each process gives seqs no other gives (docs/architecture.md, "One
  numbering owner per run"); ``start`` and ``close`` bracket a bus's connections.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from crawlscope.events import ActivityEvent

__all__ = ["BusUnavailable", "EventBus", "EventFeed", "Follow", "Gap", "Listener", "batch_key"]

Listener = Callable[[ActivityEvent], None]


def batch_key(events: Iterable[ActivityEvent]) -> str:
    """What names a batch for ``EventBus.reserve``: its events' ids, in order, hashed."""
    digest = hashlib.blake2b(digest_size=12)
    for event in events:
        digest.update(event.id.encode())
        digest.update(b"\n")
    return digest.hexdigest()


class BusUnavailable(ConnectionError):
    """The bus's service (Redis) cannot be reached: a caller that must wait for it (an
    ingest that reserves seqs) answers "unavailable, retry"."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Marks events a feed lost because its reader read too slowly.

    ``missed`` events were dropped; per run, they can be fetched from the store with
    ``after_seq`` set to the last seq the reader saw.
    """

    missed: int
    run_id: str | None


class EventFeed(Protocol):
    """One reader's bounded queue of events (``ActivityEvent`` or ``Gap`` items)."""

    run_id: str | None
    missed_total: int

    def pending(self) -> int:
        """How many events are waiting to be read."""

    def drain(self) -> list[ActivityEvent | Gap]:
        """Everything queued now, without waiting (a ``Gap`` first if any were lost)."""

    async def get(self, max_wait: float | None = None) -> list[ActivityEvent | Gap]:
        """Wait until something is queued (or ``max_wait`` passes) and return all of it."""

    @property
    def closed(self) -> bool:
        """Closed and nothing left to read."""

    def close(self) -> None:
        """Stop receiving; what is queued can still be drained."""

    def __aiter__(self) -> AsyncIterator[ActivityEvent | Gap]:
        """Every item until closed."""


@dataclass(frozen=True, slots=True)
class Follow:
    """What ``EventBus.follow`` hands out, all taken at one instant.

    ``feed`` receives every event shown after ``last_seq`` (the newest shown when
    following began); ``replay`` holds the events after the requested seq up to
    ``last_seq``, or is None when the bus no longer holds all of them (read the older ones
    from the store).
    """

    feed: EventFeed
    replay: list[ActivityEvent] | None
    last_seq: int


class EventBus(Protocol):
    """Numbers, fans out and briefly remembers activity events."""

    async def start(self) -> None:
        """Connect and start the bus's background tasks (nothing to do in-process)."""

    async def close(self) -> None:
        """Show what was delivered and is not shown yet (briefly), then disconnect."""

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` inline for every event published here, in order."""

    def open_run(self, run_id: str, last_seq: int = 0) -> None:
        """Number ``run_id``'s events after ``last_seq`` (non-zero when it continues)."""

    def forget_run(self, run_id: str) -> None:
        """Stop holding a finished run: its replay buffer goes and its feeds end."""

    def has_run(self, run_id: str) -> bool:
        """Whether this bus numbers ``run_id``'s events."""

    def last_seq(self, run_id: str) -> int:
        """The highest seq given in ``run_id`` so far (0 if none): where a reader that
        starts live begins (events up to it that are not shown yet are not for it)."""

    async def reserve(self, run_id: str, count: int, key: str | None = None) -> None:
        """Make the next ``count`` seqs of ``run_id`` this process's to give: the next
        ``count`` publishes of the run take them, whichever process numbered before.

        ``key`` names the batch (``batch_key``): reserving again with the same key (the
        batch sent again because the answer to the first attempt was lost, say Redis
        froze after taking the reservation) gets the same seqs, not a new block, so a
        lost answer leaves no hole in the run's seqs.
        """

    def publish(self, event: ActivityEvent) -> ActivityEvent:
        """Assign the next seq, call the listeners and deliver (or, for a bus that shows
        only stored events, leave delivery to ``deliver``); never waits."""

    def deliver(self, events: Iterable[ActivityEvent]) -> None:
        """Show events that are now stored to readers, in order (a no-op for events
        already shown)."""

    def subscribe(
        self,
        run_id: str | None = None,
        maxsize: int | None = None,
        *,
        wakeup: asyncio.Event | None = None,
    ) -> EventFeed:
        """A feed of one run's events, or of every run's when ``run_id`` is None.

        Feeds of one reader may share ``wakeup``, so it waits once for any of them.
        """

    def subscribe_lifecycle(
        self, maxsize: int | None = None, *, wakeup: asyncio.Event | None = None
    ) -> EventFeed:
        """A feed of the system events (run, phase, breaker) of every run."""

    async def follow(
        self,
        run_id: str,
        after_seq: int,
        maxsize: int | None = None,
        *,
        wakeup: asyncio.Event | None = None,
    ) -> Follow | None:
        """Subscribe to a run this bus numbers and replay what came after ``after_seq``.

        None if the bus does not number ``run_id``.
        """

    async def replay(self, run_id: str, after_seq: int) -> list[ActivityEvent] | None:
        """Events of ``run_id`` after ``after_seq`` that the bus still holds; None when it
        no longer holds all of them (the caller reads the store)."""

    def subscriber_count(self) -> int:
        """Open feeds (health figures, leak tests)."""

    async def ping(self) -> None:
        """Raise when the bus's service (Redis) does not answer; in-process, never."""
