"""The coordinator's side of the distributed work queue (``RedisWorkQueue``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from crawlscope.events import Action, ActivityEvent
from crawlscope.workqueue.keys import GROUP, QueueKeys
from crawlscope.workqueue.messages import (
    ControlMessage,
    OutEntry,
    RunSpec,
    TaskEntry,
    TaskResult,
    decode_out,
    encode,
)
from crawlscope.workqueue.shared_site import KEY_TTL_MS, Scripts
from crawlscope.workqueue.site_scripts import site_keys

if TYPE_CHECKING:
    from crawlscope.runner.collection import Phase
    from crawlscope.runner.context import RunScope
    from crawlscope.runner.task import Task

__all__ = ["RedisWorkQueue"]

log = logging.getLogger(__name__)

_READ_BLOCK_MS = 1000
_RETRY_S = 0.5


class RedisWorkQueue:
    """Puts one run's tasks on Redis Streams for ``crawlscope worker`` processes.

    Each phase has a stream with the consumer group ``workers``; a worker claims an
    entry, heartbeats it while working, and another worker reclaims it when its lease
    (``lease_s`` without a heartbeat) runs out. Results and events come back on the
    run's ``out`` stream, which only this process reads: so the run's events are
    numbered here and aggregated here, once, and a task's result is applied once even
    when a reclaimed task ends on two workers (the first result of a dispatch counts).
    """

    def __init__(
        self, redis_url: str, *, prefix: str = "crawlscope", lease_s: float = 10.0
    ) -> None:
        self.keys = QueueKeys(prefix)
        self.lease_s = lease_s
        self._redis: Any = aioredis.from_url(redis_url, socket_timeout=10)
        self._scope: RunScope | None = None
        # Dispatched, not yet resulted: stream entry id -> (phase, no, task).
        self._outstanding: dict[str, tuple[str, int, Task]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._last_out = "0-0"
        self._scripts = Scripts(self._redis)
        self._background: set[asyncio.Task[Any]] = set()
        self.duplicates = 0
        """Results dropped because their dispatch had ended already (reclaimed tasks)."""

    @property
    def outstanding(self) -> int:
        """Tasks sent to the workers whose result has not come back."""
        return len(self._outstanding)

    async def open(self, scope: RunScope) -> None:
        """Create the phases' streams and groups, announce the run to the workers."""
        self._scope = scope
        run_id = scope.run_id
        # A run resumed after its process died starts from its frontier, the record of
        # what is still to do: what its earlier process left on the queue goes.
        await self._delete_keys(run_id)
        for name in scope.queues.order:
            await self._redis.xgroup_create(
                self.keys.tasks(run_id, name), GROUP, id="0", mkstream=True
            )
        await self._redis.set(self.keys.alive(run_id), 1, px=round(self.lease_s * 3000))
        spec = RunSpec(run_id, scope.collection.name, scope.params, lease_s=self.lease_s)
        await self._redis.hset(self.keys.runs, run_id, encode(spec))
        await self._announce(ControlMessage(run_id, "open", spec))
        self._reader = asyncio.create_task(self._read(), name=f"wq-results-{run_id}")

    async def serve(self, phase: Phase) -> None:
        """Send ``phase``'s queued tasks to its stream while the run is not paused."""
        scope = self._require()
        queue = scope.queues.queues[phase.name]
        stream = self.keys.tasks(scope.run_id, phase.name)
        control = scope.control
        while True:
            if control.paused:
                await control.wait_running()
            no, task = await queue.get()
            data = encode(TaskEntry(no, task))
            while True:
                try:
                    entry = await self._redis.xadd(stream, {"t": data})
                    break
                except RedisError as exc:
                    log.warning(
                        "run %s: dispatching a task failed (%r); retrying", scope.run_id, exc
                    )
                    await asyncio.sleep(_RETRY_S)
            self._outstanding[_text(entry)] = (phase.name, no, task)

    def open_breaker(self, site: str, seconds: float) -> bool:
        """Open ``site``'s shared circuit breaker for ``seconds``, for every worker."""
        scope = self._require()
        keys = site_keys(self.keys.site(scope.run_id, site))
        ms = round(seconds * 1000)
        self._later(self._scripts.record(keys=[keys[1]], args=["force", 0, ms, KEY_TTL_MS]))
        scope.emit(
            ActivityEvent(
                run_id=scope.run_id,
                action=Action.BREAKER_OPENED,
                site=site,
                extra={"to": "open", "forced_s": seconds},
            )
        )
        return True

    def limit_site(self, site: str, concurrency: int) -> bool:
        """Let at most ``concurrency`` requests to ``site`` run at once, across workers."""
        scope = self._require()
        key = site_keys(self.keys.site(scope.run_id, site))[4]
        self._later(self._redis.set(key, max(1, concurrency), px=KEY_TTL_MS))
        return True

    def command(self, command: str) -> None:
        """Tell every worker of the run to ``pause``, ``resume`` or ``cancel``."""
        scope = self._require()
        self._later(self._command(ControlMessage(scope.run_id, command)))  # type: ignore[arg-type]

    def _later(self, call: Any) -> None:
        task = asyncio.get_running_loop().create_task(call)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_failure)

    async def _command(self, message: ControlMessage) -> None:
        if message.command in ("pause", "resume"):
            scope = self._require()
            spec = RunSpec(
                message.run_id,
                scope.collection.name,
                scope.params,
                lease_s=self.lease_s,
                paused=message.command == "pause",
            )
            await self._redis.hset(self.keys.runs, message.run_id, encode(spec))
        await self._announce(message)

    async def close(self) -> None:
        """Apply the results still on their way, tell the workers the run ended and
        delete its keys."""
        scope = self._require()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(RedisError):
            await self._drain(block=None)
        if self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        try:
            await self._redis.hdel(self.keys.runs, scope.run_id)
            await self._announce(ControlMessage(scope.run_id, "end"))
            await self._delete_keys(scope.run_id)
        except RedisError as exc:
            log.warning("run %s: removing its work queue from Redis failed: %r", scope.run_id, exc)
        finally:
            await self._redis.aclose()

    # -- results ---------------------------------------------------------------------------

    async def _read(self) -> None:
        scope = self._require()
        loop = asyncio.get_running_loop()
        alive_key = self.keys.alive(scope.run_id)
        alive_ms = round(self.lease_s * 3000)
        next_alive = 0.0
        while True:
            try:
                if loop.time() >= next_alive:
                    # Workers drop a run whose coordinator stopped saying this.
                    await self._redis.set(alive_key, 1, px=alive_ms)
                    next_alive = loop.time() + self.lease_s / 2
                await self._drain(block=_READ_BLOCK_MS)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("run %s: reading worker results failed; retrying", scope.run_id)
                await asyncio.sleep(_RETRY_S)

    async def _drain(self, block: int | None) -> None:
        out = self.keys.out(self._require().run_id)
        reply = await self._redis.xread({out: self._last_out}, count=500, block=block)
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                self._apply(decode_out(fields[b"d"]))
                self._last_out = _text(entry_id)
            # Applied entries are not needed again: the stream holds only what is unread.
            await self._redis.xtrim(out, minid=_next_id(self._last_out))

    def _apply(self, entry: OutEntry) -> None:
        scope = self._require()
        emit = scope.emit
        for event in entry.events:
            emit(event)
        for result in entry.results:
            self._apply_result(scope, result)

    def _apply_result(self, scope: RunScope, result: TaskResult) -> None:
        dispatched = self._outstanding.pop(result.entry, None)
        if dispatched is None:
            self.duplicates += 1
            return
        phase, no, task = dispatched
        queues = scope.queues
        frontier = scope.frontier
        try:
            if result.failed is None:
                for new, target in result.tasks:
                    try:
                        queues.put(new, target)
                    except ValueError as exc:  # its phase ended meanwhile
                        log.warning("run %s: a task was not queued: %s", scope.run_id, exc)
                _apply_progress(scope, result.progress, phase)
                if result.items and scope.pipeline is not None:
                    scope.pipeline.add(result.worker_id, result.items)
                scope.control.task_succeeded()
                if frontier is not None:
                    frontier.finished(no, failed=False)
            else:
                requeue, earlier = scope.control.task_failed(phase, (no, task), result.failed)
                if frontier is not None:
                    if not requeue:
                        frontier.finished(no, failed=True)
                    for _, (earlier_no, _task) in earlier:
                        frontier.pending_again(earlier_no)
                if requeue:
                    queues.requeue(phase, (no, task))
                for earlier_phase, queued in earlier:
                    queues.requeue(earlier_phase, queued)
            if result.done is not None:
                scope.emit(result.done)
        finally:
            queues.queues[phase].task_done()

    async def _delete_keys(self, run_id: str) -> None:
        keys = [key async for key in self._redis.scan_iter(self.keys.run_pattern(run_id))]
        if keys:
            await self._redis.delete(*keys)

    async def _announce(self, message: ControlMessage) -> None:
        await self._redis.xadd(self.keys.control, {"c": encode(message)}, maxlen=1000)

    def _require(self) -> RunScope:
        if self._scope is None:
            raise RuntimeError("the work queue is not open")
        return self._scope


def _apply_progress(scope: RunScope, changes: list[tuple[str, str, int]], phase: str) -> None:
    progress = scope.progress
    for op, level, amount in changes:
        if op == "advance":
            progress.advance(level, amount)
        elif op == "add_total":
            progress.add_total(level, amount, phase)
        elif op == "set_total":
            progress.set_total(level, amount, phase)


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("telling the workers failed: %r", task.exception())
