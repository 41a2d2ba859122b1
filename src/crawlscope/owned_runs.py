"""Remote runs on a shared bus: aggregated once, by their owner, from the run's stream.

With several API processes on one Redis, the batches of one remote run reach any of
them. Each process publishes (numbers, stores, shows) what it receives, but none
aggregates its own publishes of such a run: that would be a partial aggregate. The
process holding the run's lease (``crawlscope.bus.owners``) folds the run's events from
the bus instead, where every process's stored batches arrive in seq order, and is the
only one that writes the run's frame to its row; it publishes the frame (with its lease
renewal) when it changes, at most every ``publish_interval`` seconds, for the other
processes' readers (docs/architecture.md, "State frames from the run's owner").

``OwnedRuns`` is what ``Monitor`` delegates this to. With the in-process hub
(``SoleOwner``) it does nothing and remote runs are aggregated inline, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import msgspec

from crawlscope.aggregate import Aggregator, RunAggregate
from crawlscope.bus import EventBus, Follow, Gap
from crawlscope.bus.owners import PublishedFrame, RunOwners
from crawlscope.events import ActivityEvent
from crawlscope.status import RunStatus
from crawlscope.store import EventQuery
from crawlscope.store.repositories import EventRepository

__all__ = ["OwnedRuns"]

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode


class OwnedRuns:
    """The remote runs this process ingests on a shared bus, and those it owns.

    ``restore(run_id)`` rebuilds a run's aggregate from its stored events (held by
    ``aggregator`` afterwards) and returns its last stored seq; ``on_lost(run_id)`` is
    called after this process lost a run's lease to another (its aggregate is dropped).
    """

    def __init__(
        self,
        owners: RunOwners,
        bus: EventBus,
        aggregator: Aggregator,
        events: EventRepository,
        restore: Callable[[str], Awaitable[int]],
        on_lost: Callable[[str], None],
        *,
        publish_interval: float = 0.25,
        renew_interval: float | None = None,
        page: int = 5000,
    ) -> None:
        self.owners = owners
        self._bus = bus
        self._aggregator = aggregator
        self._events = events
        self._restore = restore
        self._on_lost = on_lost
        self.publish_interval = publish_interval
        lease_s = getattr(owners, "lease_ms", 10_000) / 1000
        self.renew_interval = renew_interval if renew_interval is not None else lease_s / 3
        self._page = page
        self._streamed: dict[str, None] = {}
        self._consumers: dict[str, asyncio.Task[None]] = {}
        self._published: dict[str, tuple[int, float]] = {}
        self._seen: dict[str, float] = {}
        self._contested: dict[str, float] = {}
        self._holes: set[str] = set()
        self._noted: dict[str, float] = {}
        self._next_contest = 0.0
        # Claims, rebuilds and forgetting of runs one at a time: an ingest and the retry
        # round claiming one run together must not start two folds of it.
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    @property
    def shared(self) -> bool:
        """Whether remote runs are aggregated from the bus by their owner (else inline)."""
        return self.owners.shared

    def streamed(self, run_id: str) -> bool:
        """Whether ``run_id`` is a remote run aggregated from the bus (not inline)."""
        return run_id in self._streamed

    def owned(self, run_id: str) -> bool:
        """Whether this process aggregates ``run_id`` from the bus."""
        return run_id in self._consumers

    def seen(self, run_id: str) -> float:
        """``time.monotonic()`` of the last event of ``run_id`` folded here (-inf if none):
        its runner is alive even when its batches reach other processes only."""
        return self._seen.get(run_id, float("-inf"))

    def start(self) -> None:
        """Start publishing frames (and renewing leases), when the bus is shared."""
        if self.shared and self._loop is None:
            self._loop = asyncio.create_task(self._publish_loop(), name="crawlscope-frames")

    async def catch_up(self) -> None:
        """Stop folding and publishing; bring each owned run's aggregate up to its stored
        events (the process stops: what it stored may not have come back from the bus)."""
        tasks = [t for t in [self._loop, *self._consumers.values()] if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._loop = None
        for run_id in list(self._consumers):
            aggregate = self._aggregator.get(run_id)
            if aggregate is not None:
                last = aggregate.frame_base.last_seq
                await self._fill(run_id, last, await self._events.max_seq(run_id))

    async def release_all(self) -> None:
        """Give every lease up, so other processes take the runs over at once rather than
        after the lease (call after the owned runs' last frames are written)."""
        for run_id in list(self._consumers):
            task = self._consumers.pop(run_id)
            task.cancel()
            await self.owners.release(run_id)

    # -- ingest -----------------------------------------------------------------------------

    def mark(self, run_id: str) -> None:
        """``run_id`` is a remote run on the shared bus: publishes here skip the aggregator."""
        self._streamed[run_id] = None
        while len(self._streamed) > 10_000:
            oldest = next(iter(self._streamed))
            if oldest in self._consumers:
                break  # owned runs stay; they are forgotten when they end
            # Ingested here long ago, owned elsewhere: what the bus keeps of it goes too
            # (a later batch of it starts over: row, numbering floor, claim).
            del self._streamed[oldest]
            self._bus.forget_run(oldest)

    async def claim(self, run_id: str) -> bool:
        """Own ``run_id`` unless a live process does: rebuild its aggregate from the store
        and fold its stream on from there. True if this process owns it (already or now).

        Refused, the claim is tried again every ``renew_interval`` for a while (three
        leases after the last refusal): if the owner died, its lease runs out and this
        process takes the run over even when no batch of it comes any more (its last
        ones came while the owner was dead: someone must write its final frame).
        """
        async with self._lock:
            if run_id in self._consumers:
                return True
            if not await self.owners.claim(run_id):
                self._contested[run_id] = time.monotonic()
                return False
            self._contested.pop(run_id, None)
            self.mark(run_id)
            self._published.pop(run_id, None)
            try:
                last = await self._restore(run_id)
            except BaseException:
                await self.owners.release(run_id)
                raise
            self._start_fold(run_id, last)
            return True

    def _start_fold(self, run_id: str, last: int) -> None:
        self._consumers[run_id] = asyncio.create_task(
            self._consume(run_id, last), name=f"crawlscope-owner-{run_id}"
        )

    async def forget(self, run_id: str) -> None:
        """The run was forgotten here (ended a while ago): stop folding it, give it up."""
        async with self._lock:
            task = self._consumers.pop(run_id, None)
            self._streamed.pop(run_id, None)
            self._published.pop(run_id, None)
            self._seen.pop(run_id, None)
            self._contested.pop(run_id, None)
            self._holes.discard(run_id)
            if task is not None:
                task.cancel()
                await asyncio.wait([task])
                await self.owners.release(run_id)

    async def rebuild(self, run_id: str) -> None:
        """Rebuild an owned run's aggregate from the store and fold its stream on from
        there (a run held as interrupted whose runner reports again)."""
        async with self._lock:
            task = self._consumers.pop(run_id, None)
            if task is not None:
                task.cancel()
                await asyncio.wait([task])
            self._start_fold(run_id, await self._restore(run_id))

    async def heard(self, run_id: str) -> None:
        """A request of ``run_id``'s runner was accepted here: if another process owns the
        run, tell it (at most once a second per run), so it does not take a runner that
        only polls here (paused) for a silent one."""
        if run_id in self._consumers:
            return
        now = time.monotonic()
        if now - self._noted.get(run_id, float("-inf")) < 1.0:
            return
        self._noted[run_id] = now
        if len(self._noted) > 10_000:
            self._noted = {r: t for r, t in self._noted.items() if now - t < 1.0}
        await self.owners.note_heard(run_id)

    # -- the owner's side -------------------------------------------------------------------

    async def _consume(self, run_id: str, applied: int) -> None:
        """Fold the run's events from the bus into its aggregate, in seq order, each once.

        A seq jump (the feed dropped events for a slow reader, the outbox dropped them
        while Redis was slow, or the stream was trimmed) is filled from the store: every
        event on the bus is stored first. A seq that is nowhere (reserved by a process
        that died before storing it) is skipped.
        """
        try:
            follow = await self._follow(run_id, applied)
            backoff = 0.1
            while follow is None:
                # Redis cannot be reached: keep up from the store until it answers.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                applied = await self._fill(run_id, applied, await self._events.max_seq(run_id))
                follow = await self._follow(run_id, applied)
            feed = follow.feed
            try:
                if follow.replay is None:
                    applied = await self._fill(run_id, applied, follow.last_seq)
                else:
                    applied = await self._fold(run_id, applied, follow.replay)
                while not feed.closed:
                    items = await feed.get()
                    events = [i for i in items if not isinstance(i, Gap)]
                    if events:
                        applied = await self._fold(run_id, applied, events)
            finally:
                feed.close()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run %s: folding its events failed; it is given up here", run_id)
            self._consumers.pop(run_id, None)
            self._on_lost(run_id)
            await self.owners.release(run_id)

    async def _follow(self, run_id: str, after: int) -> Follow | None:
        """The run's feed and replay after ``after``; None while the bus cannot give
        them (Redis unreachable)."""
        try:
            return await self._bus.follow(run_id, after, 100_000)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the bus's connection errors (redis-py is optional here)
            log.info("run %s: its stream cannot be followed (%s); reading the store", run_id, exc)
            return None

    async def _fold(self, run_id: str, applied: int, events: list[ActivityEvent]) -> int:
        for event in events:
            seq = event.seq
            if seq <= applied:
                continue
            aggregate = self._aggregator.get(run_id)
            if aggregate is None or aggregate.status is RunStatus.INTERRUPTED:
                # Forgotten meanwhile, or held as interrupted while its runner reports
                # again: rebuild from the store, which holds this event already.
                applied = await self._restore(run_id)
                continue
            if seq > applied + 1:
                applied = await self._fill(run_id, applied, seq - 1)
            aggregate = self._aggregator.get(run_id)
            assert aggregate is not None
            aggregate.apply(event)
            applied = seq
            if aggregate.ended and run_id in self._holes:
                # Seqs were missing from the store when filled: a dead process's, or a
                # batch numbered before a later one but stored after it (batches of one
                # run sent concurrently). Its final frame counts whatever got stored.
                self._holes.discard(run_id)
                applied = await self._restore(run_id)
        self._seen[run_id] = time.monotonic()
        self._changed.set()
        return applied

    async def _fill(self, run_id: str, after: int, upto: int) -> int:
        """Fold the stored events ``after+1 .. upto``; returns ``upto``."""
        wanted, found = upto - after, 0
        while after < upto:
            page = await self._events.read(
                EventQuery(run_id=run_id, after_seq=after, limit=self._page)
            )
            aggregate = self._aggregator.get(run_id)
            for event in page:
                if event.seq > upto:
                    break
                if aggregate is not None:
                    aggregate.apply(event)
                after = event.seq
                found += 1
            if len(page) < self._page or after >= upto or (page and page[-1].seq > upto):
                break
        if found < wanted:
            self._holes.add(run_id)
        self._changed.set()
        return upto

    def changed(self) -> None:
        """An owned run's aggregate changed: publish soon (at once after a quiet spell)."""
        self._changed.set()

    async def _publish_loop(self) -> None:
        failing = False
        while True:
            # A change goes out at once after a quiet spell, then at most every
            # ``publish_interval``; with no change, a round every ``renew_interval``
            # renews the leases.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.renew_interval):
                    await self._changed.wait()
            self._changed.clear()
            try:
                await self.publish()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Redis away: the leases run out after ``lease_ms`` unless it comes back,
                # and a process that lost one drops the run at its next round. Said once
                # per outage, not four times a second.
                if not failing:
                    log.warning("publishing run frames failed (%s); will retry", exc)
                failing = True
            else:
                if failing:
                    log.info("publishing run frames works again")
                failing = False
            await asyncio.sleep(self.publish_interval)

    async def publish(self) -> None:
        """Publish the changed frames of the runs owned here and renew their leases; now
        and then, claim again the runs whose claim was refused lately."""
        now = time.monotonic()
        if self._contested and now >= self._next_contest:
            self._next_contest = now + self.renew_interval
            horizon = 3 * getattr(self.owners, "lease_ms", 10_000) / 1000
            for run_id, refused_at in list(self._contested.items()):
                if run_id in self._consumers or now - refused_at > horizon:
                    self._contested.pop(run_id, None)
                elif await self.claim(run_id):
                    log.info("run %s: its owner went away; aggregated here now", run_id)
                else:
                    self._contested[run_id] = refused_at  # claim() noted a newer refusal
        frames: dict[str, PublishedFrame | None] = {}
        versions: dict[str, int] = {}
        for run_id in list(self._consumers):
            aggregate: RunAggregate | None = self._aggregator.get(run_id)
            version, at = self._published.get(run_id, (-1, float("-inf")))
            due = now - at >= self.renew_interval
            if aggregate is not None and (aggregate.version != version or due):
                # Unchanged but due, a fresh body too: rates and the ETA move with time.
                frames[run_id] = PublishedFrame(
                    _encode(aggregate.frame()), aggregate.version, aggregate.status
                )
                versions[run_id] = aggregate.version
            elif due:
                frames[run_id] = None  # being rebuilt: renew the lease only
        if not frames:
            return
        lost = set(await self.owners.publish(frames))
        for run_id in frames:
            if run_id not in lost:
                previous = self._published.get(run_id, (-1, now))[0]
                self._published[run_id] = (versions.get(run_id, previous), now)
        for run_id in lost:
            log.warning("run %s: another process owns it now; its aggregate is dropped", run_id)
            task = self._consumers.pop(run_id, None)
            if task is not None:
                task.cancel()
            self._published.pop(run_id, None)
            self._on_lost(run_id)
