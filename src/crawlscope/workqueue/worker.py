"""``crawlscope worker``: takes tasks of running runs from Redis and runs their handlers.

A worker process has ``concurrency`` slots. One loop reads the task streams of the runs
it knows (consumer group ``workers``, ``XREADGROUP BLOCK``) for as many entries as it has
idle slots, and every second takes over entries whose worker stopped heartbeating for a
lease (``XPENDING ... IDLE``, then ``XCLAIM``); while it finds such entries it looks
again at every slot that frees up, so a dead worker's tasks come before new ones. Each
slot runs one task at a time with the runner's own ``run_task``
(``task_scope.CapturedTask``), under site limits shared through Redis, and sends the
task's result and its acknowledgement in one transaction. While a task runs its entry is
re-claimed every third of a lease (of the shortest lease among the runs it knows,
including one opened since), so a long task keeps its lease and a dead worker's tasks go
to another after at most one lease. Runs are announced, paused, resumed, cancelled and
ended on the control stream, which a worker with nothing to do blocks on. An idle worker
makes three Redis calls every five seconds (the blocking read, and its presence: ``SET``
and ``ZADD`` in one round trip) and none to the database (it never talks to the
database); with a run open and nothing to take, about 2.6 a second (a blocking
``XREADGROUP`` and an ``XPENDING`` each second, the coordinator's sign of life every ten;
``bench/workers_idle.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from crawlscope.events import utc_now_iso
from crawlscope.registry import CollectionRegistry
from crawlscope.runner.aiohttp_transport import AiohttpTransport
from crawlscope.runner.transport import Transport
from crawlscope.runner.worker import run_task
from crawlscope.worker_presence import WorkerIdBlock, WorkerPresence
from crawlscope.workqueue.keys import GROUP, QueueKeys
from crawlscope.workqueue.leases import renew, take_expired
from crawlscope.workqueue.messages import (
    ControlMessage,
    RunSpec,
    TaskEntry,
    TaskResult,
    decode_control,
    decode_entry,
    decode_spec,
)
from crawlscope.workqueue.presence import PRESENCE_EVERY_S, announce, withdraw
from crawlscope.workqueue.run_here import RunHere, take_up
from crawlscope.workqueue.sender import Sender
from crawlscope.workqueue.task_scope import CapturedTask

__all__ = ["WorkerProcess"]

log = logging.getLogger(__name__)

_CONTROL_BLOCK_MS = 5000
_TASK_BLOCK_MS = 1000
_RETRY_S = 0.5


@dataclass
class _Claim:
    run: RunHere
    stream: str
    entry: str
    task: TaskEntry


class WorkerProcess:
    """One worker process: ``concurrency`` slots serving every run on the queue.

    ``registry`` is where run specs' collections are found by name (the project's, as
    the server has them). ``run(stop)`` serves until ``stop`` is set, then lets the tasks
    in hand finish for up to ``grace_s`` (a task not finished by then is left to the
    lease: another worker takes it over).
    """

    def __init__(
        self,
        redis_url: str,
        registry: CollectionRegistry,
        *,
        prefix: str = "crawlscope",
        concurrency: int = 8,
        name: str | None = None,
        transport: Transport | None = None,
        reclaim_every_s: float = 1.0,
        flush_every_s: float = 0.1,
        grace_s: float = 10.0,
        alive_check_s: float = 10.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.redis_url = redis_url
        self.registry = registry
        self.keys = QueueKeys(prefix)
        self.concurrency = concurrency
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.transport = transport
        self.reclaim_every_s = reclaim_every_s
        self.flush_every_s = flush_every_s
        self.grace_s = grace_s
        self.alive_check_s = alive_check_s
        self.runs: dict[str, RunHere] = {}
        self.tasks_done = 0
        """Tasks whose result this process delivered."""
        self.reclaimed = 0
        """Tasks this process took over from a worker whose lease ran out."""
        self._redis: Any = None
        self._transport: Transport | None = None
        self._handoff: asyncio.Queue[_Claim] = asyncio.Queue()
        self._held: dict[str, str] = {}  # entry id -> stream, claimed and not acknowledged
        self._busy = 0
        self._changed = asyncio.Event()
        self._freed = asyncio.Event()
        self._opened = asyncio.Event()  # a run was opened: its lease may be shorter
        self._started_at = utc_now_iso()
        self.ready = asyncio.Event()
        """Set once the worker has read the runs on the queue and listens for changes."""

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Serve until ``stop`` is set (or forever)."""
        # Above the longest blocking read (5 s), which is what notices a dead connection.
        self._redis = aioredis.from_url(self.redis_url, socket_timeout=10)
        self._sender = Sender(self._redis, self.keys, self.name)
        self._transport = self.transport if self.transport is not None else AiohttpTransport()
        stop = stop or asyncio.Event()
        loops = [
            asyncio.create_task(self._control_loop(), name="worker-control"),
            asyncio.create_task(self._fetch_loop(), name="worker-fetch"),
            asyncio.create_task(self._heartbeat_loop(), name="worker-heartbeat"),
            asyncio.create_task(self._flush_loop(), name="worker-flush"),
            asyncio.create_task(self._presence_loop(), name="worker-presence"),
        ]
        slots = [
            asyncio.create_task(self._slot(k), name=f"worker-slot-{k}")
            for k in range(1, self.concurrency + 1)
        ]
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait(
                [stopping, *loops, *slots], return_when=asyncio.FIRST_COMPLETED
            )
            for finished in done:
                if finished is not stopping:
                    finished.result()  # a loop that ended by itself is a bug: raise it
        finally:
            stopping.cancel()
            await self._stop(loops, slots)

    async def _stop(self, loops: list[asyncio.Task[None]], slots: list[asyncio.Task[None]]) -> None:
        fetch = loops[1]
        fetch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await fetch
        # Claimed but not started: left to the lease (another worker takes them over).
        while not self._handoff.empty():
            self._handoff.get_nowait()
        if self._busy:
            jobs = [job for run in self.runs.values() for job in run.jobs.values()]
            await asyncio.wait(jobs, timeout=self.grace_s) if jobs else None
        for task in [*slots, *loops]:
            task.cancel()
        await asyncio.gather(*slots, *loops, return_exceptions=True)
        with contextlib.suppress(RedisError):
            await self._sender.flush(list(self.runs.values()))
        for run in self.runs.values():
            await run.sites.settle()
        if self._transport is not None and self._transport is not self.transport:
            await self._transport.close()
        with contextlib.suppress(RedisError):
            await withdraw(self._redis, self.keys, self.name)
        await self._redis.aclose()

    # -- runs ------------------------------------------------------------------------------

    def presence(self) -> WorkerPresence:
        """This worker as it is now (what ``GET /api/health/workers`` lists)."""
        return WorkerPresence(
            name=self.name,
            host=socket.gethostname(),
            pid=os.getpid(),
            slots=self.concurrency,
            busy=self._busy,
            runs=sorted(run_id for run_id, run in self.runs.items() if run.takes_tasks),
            tasks_done=self.tasks_done,
            taken_over=self.reclaimed,
            started_at=self._started_at,
            seen_at=utc_now_iso(),
            # Paused runs keep their block: the ids stay this process's until the run ends.
            blocks=[
                WorkerIdBlock(run_id=run_id, first=base + 1, last=base + self.concurrency)
                for run_id, run in sorted(self.runs.items())
                if (base := run.worker_base) is not None
            ],
        )

    async def _presence_loop(self) -> None:
        while True:
            try:
                await announce(self._redis, self.keys, self.presence())
            except RedisError as exc:
                log.warning("worker %s: saying it is there failed: %r", self.name, exc)
            await asyncio.sleep(PRESENCE_EVERY_S)

    async def _control_loop(self) -> None:
        redis = self._redis
        last = "0-0"
        top = await redis.xrevrange(self.keys.control, count=1)
        if top:
            last = _text(top[0][0])
        for raw in (await redis.hgetall(self.keys.runs)).values():
            self._open(decode_spec(raw))
        self._changed.set()
        self.ready.set()
        while True:
            try:
                reply = await redis.xread(
                    {self.keys.control: last}, count=100, block=_CONTROL_BLOCK_MS
                )
            except RedisError as exc:
                log.warning("worker %s: reading the control stream failed: %r", self.name, exc)
                await asyncio.sleep(_RETRY_S)
                continue
            for _stream, entries in reply or ():
                for entry_id, fields in entries:
                    last = _text(entry_id)
                    self._apply(decode_control(fields[b"c"]))

    def _apply(self, message: ControlMessage) -> None:
        run = self.runs.get(message.run_id)
        if message.command == "open":
            if run is not None:
                # Announced again: the run was resumed by a new coordinator, which starts
                # from its frontier with new streams and worker ids; what is in hand goes.
                self._end(run, "reopened")
            if message.spec is not None:
                self._open(message.spec)
        elif run is not None:
            if message.command == "pause":
                run.control.pause("paused by its coordinator")
            elif message.command == "resume":
                run.control.resume()
            else:  # cancel, end: the tasks in hand are cancelled (their complete says so)
                self._end(run, message.command)
        self._changed.set()

    def _end(self, run: RunHere, why: str) -> None:
        run.control.cancel(why)
        for job in run.jobs.values():
            job.cancel()
        if why != "cancel":
            self.runs.pop(run.spec.run_id, None)

    def _open(self, spec: RunSpec) -> None:
        assert self._transport is not None
        run = take_up(spec, self.registry, self._redis, self.keys, self._transport)
        if run is None:
            log.error(
                "worker %s: run %s is of collection %r, which this worker does not have; "
                "its tasks are left to other workers",
                self.name,
                spec.run_id,
                spec.collection,
            )
            return
        self.runs[spec.run_id] = run
        self._opened.set()
        log.info("worker %s: taking tasks of run %s (%s)", self.name, spec.run_id, spec.collection)

    # -- taking tasks ----------------------------------------------------------------------

    def _idle(self) -> int:
        return self.concurrency - self._busy - self._handoff.qsize()

    async def _fetch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_reclaim = 0.0
        next_alive_check = loop.time() + self.alive_check_s
        while True:
            active = [run for run in self.runs.values() if run.takes_tasks]
            if not active:
                self._changed.clear()
                await self._changed.wait()
                continue
            if self._idle() <= 0:
                self._freed.clear()
                await self._freed.wait()
                continue
            try:
                if loop.time() >= next_alive_check:
                    next_alive_check = loop.time() + self.alive_check_s
                    active = await self._drop_orphans(active)
                    if not active:
                        continue
                if loop.time() >= next_reclaim:
                    next_reclaim = loop.time() + self.reclaim_every_s
                    if await self._reclaim(active):
                        # Every idle slot went to a dead worker's task and more may be
                        # waiting: look again at the next free slot, before new tasks.
                        # Else a worker killed holding many tasks would have them taken
                        # over one per survivor per second, far past its lease.
                        next_reclaim = loop.time()
                    if self._idle() <= 0:
                        continue
                streams = {stream: ">" for run in active for stream in run.streams}
                reply = await self._redis.xreadgroup(
                    GROUP, self.name, streams, count=self._idle(), block=_TASK_BLOCK_MS
                )
            except ResponseError as exc:  # NOGROUP: the run ended as we read
                log.debug("worker %s: %r", self.name, exc)
                await asyncio.sleep(0.05)
                continue
            except RedisError as exc:
                log.warning("worker %s: taking tasks failed: %r", self.name, exc)
                await asyncio.sleep(_RETRY_S)
                continue
            by_stream = {stream: run for run in active for stream in run.streams}
            for stream, entries in reply or ():
                name = _text(stream)
                run = by_stream.get(name)
                for entry_id, fields in entries:
                    if run is not None and fields:
                        self._hand(run, name, _text(entry_id), fields)

    async def _drop_orphans(self, active: list[RunHere]) -> list[RunHere]:
        """The runs whose coordinator is still there; the others are dropped (their
        tasks wait on Redis until the run is resumed, which announces it again)."""
        alive = await self._redis.mget([self.keys.alive(run.spec.run_id) for run in active])
        kept = []
        for run, mark in zip(active, alive, strict=True):
            if mark is not None:
                kept.append(run)
                continue
            log.warning(
                "worker %s: run %s's coordinator is gone; its tasks wait for it to be resumed",
                self.name,
                run.spec.run_id,
            )
            self._apply(ControlMessage(run.spec.run_id, "end"))
        return kept

    async def _reclaim(self, active: list[RunHere]) -> bool:
        """Take over entries whose lease ran out, as many as there are idle slots; True
        if a look found as many as it asked for (more may be waiting)."""
        for run in active:
            lease_ms = round(run.spec.lease_s * 1000)
            for stream in run.streams:
                count = self._idle()
                if count <= 0:
                    return False
                claimed = await take_expired(
                    self._redis, stream, self.name, lease_ms, count, self._held
                )
                took = 0
                for entry_id, fields in claimed:
                    entry = _text(entry_id)
                    if fields and entry not in self._held:
                        took += 1
                        self.reclaimed += 1
                        log.info(
                            "worker %s: took over task %s of run %s",
                            self.name,
                            entry,
                            run.spec.run_id,
                        )
                        self._hand(run, stream, entry, fields)
                if took >= count:
                    return True
        return False

    def _hand(self, run: RunHere, stream: str, entry: str, fields: dict[bytes, bytes]) -> None:
        self._held[entry] = stream
        self._handoff.put_nowait(_Claim(run, stream, entry, decode_entry(fields[b"t"])))

    async def _heartbeat_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            lease = min((run.spec.lease_s for run in self.runs.values()), default=10.0)
            wait = last + lease / 3 - loop.time()
            if wait > 0:
                # A run opened meanwhile may have a shorter lease than the one this wait
                # was planned for (a worker started before any run plans for 10 s): its
                # tasks would be taken over from this live worker. Plan again then.
                self._opened.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._opened.wait(), wait)
                continue
            last = loop.time()
            try:
                await renew(self._redis, self.name, self._held)
            except RedisError as exc:
                log.warning("worker %s: heartbeat failed: %r", self.name, exc)

    # -- running tasks ---------------------------------------------------------------------

    async def _slot(self, k: int) -> None:
        while True:
            claim = await self._handoff.get()
            self._busy += 1
            try:
                await self._execute(k, claim)
            finally:
                self._busy -= 1
                self._freed.set()

    async def _execute(self, k: int, claim: _Claim) -> None:
        run = claim.run
        if run.control.cancelled:
            self._held.pop(claim.entry, None)
            return
        worker_id = await run.worker_id(self._redis, self.keys, self.concurrency, k)
        phase = run.streams[claim.stream]
        captured = CapturedTask(run.scope, run.events.append)
        job = asyncio.create_task(
            run_task(captured.scope, phase, worker_id, claim.task.task, claim.task.no)
        )
        run.jobs[claim.entry] = job
        try:
            await asyncio.wait([job])
        finally:
            run.jobs.pop(claim.entry, None)
            if not job.done():
                job.cancel()
        if job.cancelled():
            # The run was cancelled or ended: nothing to deliver; its complete is shown.
            if captured.done is not None:
                run.events.append(captured.done)
            self._held.pop(claim.entry, None)
            return
        result = captured.result(phase.name, claim.entry, claim.task.no, worker_id)
        failure = job.exception()
        if failure is not None:
            # A bug outside the handler (``run_task`` catches the handler's): the task
            # fails here rather than going from worker to worker after every lease.
            log.error("worker %s: task %s failed: %r", self.name, claim.entry, failure)
            result = TaskResult(
                phase.name,
                claim.entry,
                claim.task.no,
                worker_id,
                failed=f"worker error: {type(failure).__name__}: {failure}",
            )
        await self._deliver(run, claim, result)

    async def _deliver(self, run: RunHere, claim: _Claim, result: TaskResult) -> None:
        await self._sender.deliver(run, claim.stream, claim.entry, result)
        self._held.pop(claim.entry, None)
        self.tasks_done += 1

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_every_s)
            try:
                await self._sender.flush(list(self.runs.values()))
            except RedisError as exc:
                log.warning("worker %s: sending events failed: %r", self.name, exc)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
