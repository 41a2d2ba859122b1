"""``crawlscope.track``: watch an existing asyncio script's HTTP requests live.

::

    async with crawlscope.track("prices", server="http://127.0.0.1:8000") as run:
        client = run.wrap(httpx.AsyncClient())      # or an aiohttp.ClientSession
        ...                                         # the script as it was
        run.item({"id": 1, "price": 9.5})           # an item, into the run's dataset

Every request through a wrapped client is a task: ``fetching``, then ``found`` /
``error`` / ``rate_limited`` (status, duration, error type), and ``complete`` when the
asyncio task that sent it sends its next request or ends, so the time between is shown
as the worker processing. Each concurrently running asyncio task that sends requests is a
worker (the lowest free id, given back when the task ends). Pause from the dashboard
holds every wrapped client before its next request; cancel cancels the code inside the
``async with``, and the block ends quietly with the run ``cancelled``.
See docs/integrations/asyncio.md.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from crawlscope.events import ErrorStage, ErrorType
from crawlscope.integrations.destination import Destination
from crawlscope.integrations.external_run import ExternalRun
from crawlscope.runner.outcome import OutcomeRules
from crawlscope.status import ControlCommand, RunStatus

__all__ = ["TrackedRun", "track"]

ClientT = TypeVar("ClientT")


class _Worker:
    """One asyncio task sending requests: its worker id and its request still open."""

    __slots__ = ("error", "id", "items", "label", "started", "url")

    def __init__(self, worker_id: int) -> None:
        self.id = worker_id
        self.label: str | None = None
        self.url = ""
        self.started = 0.0
        self.items = 0
        self.error: tuple[ErrorType, str, str] | None = None


class Attempt:
    """A request in flight: who sent it and when (returned by ``TrackedRun.sending``)."""

    __slots__ = ("method", "sent", "url", "worker")

    def __init__(self, worker: _Worker, method: str, url: str) -> None:
        self.worker = worker
        self.method = method
        self.url = url
        self.sent = time.perf_counter()


class TrackedRun:
    """The run ``track()`` gives: wrap clients with ``wrap``, report items with ``item``."""

    def __init__(self, run: ExternalRun, owner: asyncio.Task[Any] | None) -> None:
        self.run = run
        self._owner = owner
        self._workers: dict[asyncio.Task[Any], _Worker] = {}
        self._running = asyncio.Event()
        self._running.set()
        self.cancelled_by_operator = False
        run.on_command = self._command

    @property
    def run_id(self) -> str:
        """The run's id (``/runs/{run_id}`` on the dashboard)."""
        return self.run.run_id

    @property
    def status(self) -> RunStatus:
        """``running`` inside the block; the outcome after it."""
        return self.run.status

    def wrap(self, client: ClientT) -> ClientT:
        """Instrument an ``httpx.AsyncClient`` or ``aiohttp.ClientSession`` in place and
        return it: each of its requests becomes events of this run."""
        from crawlscope.integrations.clients import instrument

        return instrument(self, client)

    def item(self, item: Mapping[str, Any]) -> bool:
        """Report one item into the run's dataset (``track(..., dataset=...)``), credited
        to the current task's worker; False if it lacks the dataset's key."""
        worker = self._current(create=False)
        if worker is not None:
            worker.items += 1
        # Copied: a script may reuse and change its dict after reporting it.
        return self.run.item(worker.id if worker is not None else 0, dict(item))

    # -- what the wrapped clients call ----------------------------------------------------

    async def sending(self, method: str, url: str) -> Attempt:
        """A request is about to go out: wait while the run is paused, end the sender's
        previous task, emit ``fetching``."""
        if not self._running.is_set():
            await self._running.wait()
        worker = self._current(create=True)
        assert worker is not None
        self._close(worker)
        worker.label, worker.url, worker.started = url, url, time.perf_counter()
        self.run.fetching(worker.id, url, method, 1, url)
        return Attempt(worker, method, url)

    def answered(self, attempt: Attempt, status: int) -> None:
        """The request got a response with ``status``."""
        duration = (time.perf_counter() - attempt.sent) * 1000
        worker = attempt.worker
        error_type = self.run.answered(
            worker.id, attempt.url, attempt.method, status, duration, 1, attempt.url
        )
        if error_type is not None and worker.label == attempt.url:
            worker.error = (error_type, ErrorStage.REQUEST, f"HTTP {status}")

    def failed(self, attempt: Attempt, error_type: ErrorType, exc: BaseException) -> None:
        """The request got no response."""
        duration = (time.perf_counter() - attempt.sent) * 1000
        text = str(exc)
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        worker = attempt.worker
        self.run.failed(
            worker.id, attempt.url, attempt.method, error_type, message, duration, 1, attempt.url
        )
        if worker.label == attempt.url:
            worker.error = (error_type, ErrorStage.REQUEST, message)

    # -- workers --------------------------------------------------------------------------

    def _current(self, *, create: bool) -> _Worker | None:
        task = asyncio.current_task()
        if task is None:
            return None
        worker = self._workers.get(task)
        if worker is None and create:
            worker = self._workers[task] = _Worker(self.run.slots.take())
            task.add_done_callback(self._task_done)
        return worker

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        worker = self._workers.pop(task, None)
        if worker is not None and self.run.status.active:
            self._close(worker)
            self.run.slots.give_back(worker.id)

    def _close(self, worker: _Worker) -> None:
        """The worker's open request is over: ``complete``."""
        if worker.label is None:
            return
        error = worker.error
        self.run.task_ended(
            worker.id,
            worker.label,
            (time.perf_counter() - worker.started) * 1000,
            items=worker.items,
            error_type=error[0] if error else None,
            error_stage=error[1] if error else None,
            message=error[2] if error else None,
            url=worker.url,
        )
        worker.label, worker.items, worker.error = None, 0, None

    def close_all(self) -> None:
        """Every worker's open request is over (the block ends)."""
        for worker in self._workers.values():
            self._close(worker)

    def _command(self, command: ControlCommand) -> bool:
        if command is ControlCommand.PAUSE:
            self._running.clear()
        elif command is ControlCommand.RESUME:
            self._running.set()
        else:
            if self._owner is None or self._owner.done():
                return False
            self.cancelled_by_operator = True
            self._running.set()
            self._owner.cancel()
        return True


@asynccontextmanager
async def track(
    name: str,
    *,
    server: str | None = None,
    token: str | None = None,
    database: str | None = None,
    dataset: str | None = None,
    key: str | None = None,
    params: dict[str, Any] | None = None,
    workers: int = 0,
    outcome: OutcomeRules | None = None,
) -> AsyncIterator[TrackedRun]:
    """A run named ``name`` for the code inside the block.

    Reports to ``server`` (with ``token``; both default to ``CRAWLSCOPE_SERVER`` and
    ``CRAWLSCOPE_TOKEN``) or to the local ``database`` (default: the project's, as
    ``crawlscope`` commands use). ``dataset``/``key``: where ``run.item`` stores items and
    the field that identifies one (without ``key``, an item's content). ``workers``: how
    many worker cards to show from the start (others appear as tasks send requests).
    ``outcome``: how the run is judged at the end (every request is a task).

    An exception from the block fails the run and propagates; a cancel from the
    dashboard ends the block without an exception.
    """
    if server is None and database is None:
        server = os.environ.get("CRAWLSCOPE_SERVER") or None
    if token is None:
        token = os.environ.get("CRAWLSCOPE_TOKEN") or None
    destination = Destination(server=server, token=token, database=database)
    connection = await destination.connect()
    external = ExternalRun(
        connection,
        name,
        params=params,
        dataset=dataset,
        key=key,
        workers=workers,
        origin={"integration": "track"},
        outcome=outcome,
    )
    tracked = TrackedRun(external, asyncio.current_task())
    try:
        await external.start()
        try:
            yield tracked
        except asyncio.CancelledError:
            owner = asyncio.current_task()
            if not tracked.cancelled_by_operator or owner is None:
                external.cancel_reason = external.cancel_reason or "cancelled"
                tracked.close_all()
                await external.finish()
                raise
            owner.uncancel()
            tracked.close_all()
            await external.finish()
            return
        except BaseException as exc:
            tracked.close_all()
            await external.finish(error=f"{type(exc).__name__}: {exc}")
            raise
        tracked.close_all()
        await external.finish()
    finally:
        await connection.close()
