"""One execution of a collection: phases, workers, lifecycle events and control."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Sequence
from typing import Any

from crawlscope.events import Action, ActivityEvent, truncate_message
from crawlscope.runner.aiohttp_transport import AiohttpTransport
from crawlscope.runner.auto_pause import AutoPause, SelfPause
from crawlscope.runner.breaker import BreakerState
from crawlscope.runner.collection import Collection
from crawlscope.runner.context import RunScope
from crawlscope.runner.control import RunControl
from crawlscope.runner.frontier import FrontierRecorder, FrontierSink, SavedFrontier
from crawlscope.runner.outcome import TaskCounts, decide
from crawlscope.runner.progress import Progress
from crawlscope.runner.queues import PhaseQueues
from crawlscope.runner.reporter import ControlSource, ItemSink, Reporter
from crawlscope.runner.sink import ItemPipeline
from crawlscope.runner.site import SiteRegistry
from crawlscope.runner.stages import PhaseRunner
from crawlscope.runner.task import Task
from crawlscope.runner.transport import Transport
from crawlscope.runner.work_queue import WorkQueue
from crawlscope.status import ControlCommand, ControlOutcome, RunStatus

__all__ = ["Run", "new_run_id"]

log = logging.getLogger(__name__)

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_BREAKER_ACTIONS = {
    BreakerState.OPEN: Action.BREAKER_OPENED,
    BreakerState.HALF_OPEN: Action.BREAKER_HALF_OPEN,
    BreakerState.CLOSED: Action.BREAKER_CLOSED,
}


def new_run_id() -> str:
    """A short, time-sortable run id: 48 bits of milliseconds + 32 random bits, base32."""
    value = (time.time_ns() // 1_000_000) << 32 | int.from_bytes(os.urandom(4), "big")
    chars = []
    for _ in range(16):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class Run:
    """Runs a collection once and reports every step as events.

    ``start()`` begins in the background; ``pause()``, ``resume()`` and ``cancel()``
    control it from code; a ``ControlSource`` (the database, for the CLI) is polled for
    the same commands from other processes. ``wait()`` returns the final status:
    ``completed``, ``completed_with_errors`` or ``failed`` (the collection's
    ``OutcomeRules`` decide; ``finish_reason`` says why) or ``cancelled``.

    When the run pauses itself (``max_consecutive_failures`` failed tasks in a row) a
    WARNING is logged with the reason and how to resume, and ``on_auto_pause`` decides
    what ``wait()`` does: ``"return"`` (default) returns ``paused`` while the run stays
    paused (``resume()`` then ``wait()`` again, or ``cancel()``); ``"wait"`` keeps
    waiting for someone to resume or cancel it; ``"cancel"`` cancels it.
    """

    progress_interval = 0.5
    control_interval = 0.25
    frontier_close_timeout = 30.0

    def __init__(
        self,
        collection: Collection,
        reporter: Reporter,
        *,
        params: dict[str, Any] | None = None,
        sink: ItemSink | None = None,
        control_source: ControlSource | None = None,
        run_id: str | None = None,
        seed: int | None = None,
        transport: Transport | None = None,
        frontier: FrontierSink | None = None,
        resume_from: SavedFrontier | None = None,
        tasks: Sequence[tuple[str, Task]] | None = None,
        origin: dict[str, Any] | None = None,
        on_auto_pause: AutoPause | str = AutoPause.RETURN,
        work_queue: WorkQueue | None = None,
    ) -> None:
        collection.validate()
        self.collection = collection
        self.params = collection.check_params(params)
        self.reporter = reporter
        self.sink = sink
        self.control_source = control_source
        self.run_id = run_id or new_run_id()
        self.transport = transport
        self.frontier_sink = frontier
        self.resume_from = resume_from
        self.initial_tasks = list(tasks) if tasks is not None else None
        # Items submitted before an interrupted run was resumed.
        self._items_before = resume_from.items if resume_from is not None else 0
        self.origin = origin or {}
        self.work_queue = work_queue
        """Where the tasks run when not here (``crawlscope worker`` processes), or None."""
        """Where the run comes from (``{"retry_of": run_id}``), on its ``run_started``."""
        self.status = RunStatus.PENDING
        self.error: str | None = None
        self.finish_reason: str | None = None
        """Why the run ended as it did (set when it ends; also on its last event)."""
        self.control = RunControl(collection.max_consecutive_failures)
        self.control.on_pause = self._on_pause
        self.control.on_resume = self._on_resume
        self._self_pause = SelfPause(
            on_auto_pause, self.run_id, self.control, getattr(reporter, "resume_hint", None)
        )
        # A cancel ends a wait() that returned on the automatic pause: the next one waits
        # for the end.
        self.control.on_cancel = self._on_cancel
        self.progress = Progress(collection.progress_levels)
        self.queues = PhaseQueues(collection.phase_names)
        self._rng = random.Random(seed)
        self._phase: str | None = None
        self._main: asyncio.Task[RunStatus] | None = None
        self._phases: PhaseRunner | None = None
        self._sites: SiteRegistry | None = None
        # Acknowledgements run as their own tasks: a cancel command ends the run, and the
        # answer must still reach the requester rather than die with the command poller.
        self._acks: set[asyncio.Task[None]] = set()
        if collection.dataset is not None and sink is None:
            raise ValueError(f"collection {collection.name!r} has a dataset but no sink given")

    # -- control from code ----------------------------------------------------------------

    def pause(self, reason: str | None = None) -> bool:
        """Pause at the next request; False if not running."""
        return self.status is RunStatus.RUNNING and self.control.pause(
            reason or "paused by operator"
        )

    def resume(self) -> bool:
        """Resume a paused run; False if not paused."""
        return self.control.resume()

    def cancel(self, reason: str | None = None) -> bool:
        """Stop all workers now; in-flight tasks are recorded as cancelled.

        ``reason`` becomes the run's finish reason (default ``cancelled by operator``).
        """
        if not self.status.active:
            return False
        return self.control.cancel(reason or "cancelled by operator")

    def open_breaker(self, site: str, seconds: float) -> bool:
        """Open ``site``'s circuit breaker for ``seconds``; False if the run has not sent
        to that site (or is not executing)."""
        if self.work_queue is not None and self._phases is not None:
            return self.work_queue.open_breaker(site, seconds)
        found = self._sites.sites.get(site) if self._sites is not None else None
        if found is None:
            return False
        found.breaker.force_open(seconds)
        return True

    def limit_site(self, site: str, concurrency: int) -> bool:
        """Let at most ``concurrency`` requests to ``site`` run at once from now on."""
        if self.work_queue is not None and self._phases is not None:
            return self.work_queue.limit_site(site, concurrency)
        found = self._sites.sites.get(site) if self._sites is not None else None
        if found is None:
            return False
        found.set_concurrency(concurrency)
        return True

    @property
    def effective_status(self) -> RunStatus:
        """``status``, or ``paused`` while the run is paused."""
        return RunStatus.PAUSED if self.control.paused else self.status

    def apply_command(self, command: ControlCommand) -> ControlOutcome:
        """Apply pause, resume or cancel; what happened, for the requester."""
        command = ControlCommand(command)
        state = self.effective_status
        actions = {
            ControlCommand.PAUSE: self.pause,
            ControlCommand.RESUME: self.resume,
            ControlCommand.CANCEL: self.cancel,
        }
        if actions[command]():
            return ControlOutcome.accepted(command)
        return ControlOutcome.refused(command, f"run is {state}")

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Register the run with the reporter and start it in the background."""
        await self.reporter.open_run(
            self.run_id, self.collection.name, self.params, self.collection.dataset
        )
        self._main = asyncio.create_task(self._run(), name=f"run-{self.run_id}")

    async def wait(self) -> RunStatus:
        """Wait for the end; returns ``completed``, ``completed_with_errors``, ``failed``
        or ``cancelled``, or ``paused`` if the run paused itself and ``on_auto_pause`` is
        ``"return"`` (call ``resume()`` and ``wait()`` again, or ``cancel()``)."""
        if self._main is None:
            raise RuntimeError("run not started")
        return await self._self_pause.wait(self._main)

    @property
    def on_auto_pause(self) -> AutoPause:
        """What ``wait()`` does when the run pauses itself."""
        return self._self_pause.mode

    async def execute(self) -> RunStatus:
        """``start()`` then ``wait()``."""
        await self.start()
        return await self.wait()

    def _site_registry(self) -> SiteRegistry:
        collection = self.collection
        self._sites = SiteRegistry(collection.site_policy, collection.sites, self._on_breaker)
        return self._sites

    def _set_phase(self, name: str) -> None:
        self._phase = name

    def _emit(self, action: Action, **fields: Any) -> None:
        self.reporter.emit(ActivityEvent(run_id=self.run_id, action=action, worker_id=0, **fields))

    def _on_pause(self, reason: str | None, auto: bool, requeued: int) -> None:
        extra: dict[str, Any] = {"reason": reason, "auto": auto}
        if requeued:
            extra["requeued"] = requeued
        self._emit(Action.RUN_PAUSED, phase=self._phase, extra=extra)
        self._tell_workers("pause")
        if auto:
            self._self_pause.paused(reason or "paused", requeued)

    def _on_resume(self) -> None:
        self._self_pause.over()
        self._emit(Action.RUN_RESUMED, phase=self._phase)
        self._tell_workers("resume")

    def _on_cancel(self) -> None:
        self._self_pause.over()
        self._tell_workers("cancel")

    def _tell_workers(self, command: str) -> None:
        """Pause, resume and cancel reach the run's worker processes, if it has any."""
        if self.work_queue is not None and self._phases is not None:
            self.work_queue.command(command)

    def _on_breaker(self, site: str, old: BreakerState, new: BreakerState, failures: int) -> None:
        self._emit(
            _BREAKER_ACTIONS[new],
            phase=self._phase,
            site=site,
            extra={"from": old.value, "to": new.value, "failures": failures},
        )

    async def _run(self) -> RunStatus:
        collection = self.collection
        pipeline = (
            ItemPipeline(
                self.sink, self.run_id, self.reporter.emit, quality=self.collection.quality
            )
            if self.sink
            else None
        )
        transport = self.transport if self.transport is not None else AiohttpTransport()
        scope = RunScope(
            run_id=self.run_id,
            collection=collection,
            params=self.params,
            emit=self.reporter.emit,
            control=self.control,
            sites=self._site_registry(),
            progress=self.progress,
            queues=self.queues,
            pipeline=pipeline,
            rng=self._rng,
            transport=transport,
        )
        # Backpressure, if the reporter offers it (older reporters may not).
        congested = getattr(self.reporter, "congested", None)
        wait_ready = getattr(self.reporter, "wait_ready", None)
        if congested is not None and wait_ready is not None:
            scope.congested, scope.wait_ready = congested, wait_ready
        frontier = self._frontier_recorder(pipeline)
        scope.frontier = frontier
        if self.work_queue is not None:
            await self.work_queue.open(scope)
            scope.work_queue = self.work_queue
        phases = self._phases = PhaseRunner(scope, self._emit, self._emit_progress, self._set_phase)
        self.status = RunStatus.RUNNING
        self._announce()
        helpers = [asyncio.create_task(self._report_progress())]
        if self.control_source is not None:
            helpers.append(asyncio.create_task(self._poll_commands()))
        if pipeline is not None:
            pipeline.start()
        if frontier is not None:
            frontier.start()
        try:
            await self._queue_first_tasks()
            await phases.run(collection.phases)
            if pipeline is not None:
                await pipeline.close()
            await self._close_frontier(frontier)
            self._emit_progress()
            extra = await self._dataset_extra()
            if self.control.cancelled:
                pending = self.queues.pending_total()
                if self.work_queue is not None:
                    pending += self.work_queue.outstanding  # sent out, never ended
                extra["pending_tasks"] = pending
                self.status = RunStatus.CANCELLED
                reason = self.control.cancel_reason or "cancelled"
                if pending:
                    reason += f"; {pending} tasks were still to do"
                self._finish(Action.RUN_CANCELLED, reason, extra)
            else:
                self._judge(pipeline, extra)
        except Exception as exc:
            log.exception("run %s failed", self.run_id)
            await phases.stop()
            if pipeline is not None:
                with contextlib.suppress(Exception):
                    await pipeline.close()
            await self._close_frontier(frontier)
            self.status = RunStatus.FAILED
            self.error = f"{type(exc).__name__}: {exc}"
            self._emit_progress()
            where = (
                "the seed raised"
                if self._phase is None
                else f"an exception ended the run in phase {self._phase!r}:"
            )
            self._finish(
                Action.RUN_FAILED,
                f"{where} {self.error}",
                {},
                error_message=truncate_message(self.error),
            )
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await asyncio.gather(*self._acks, return_exceptions=True)
            if transport is not self.transport:
                await transport.close()
            if self.work_queue is not None:
                await self.work_queue.close()
            await self.reporter.flush()
        return self.status

    def _announce(self) -> None:
        """``run_started``, or ``run_resumed`` for a run taken up from its frontier."""
        collection = self.collection
        if self.resume_from is not None:
            saved = self.resume_from
            self._emit(
                Action.RUN_RESUMED,
                extra={
                    "from_crash": True,
                    "pending": len(saved.pending),
                    "done": saved.done,
                    "failed": saved.failed,
                },
            )
            return
        self._emit(
            Action.RUN_STARTED,
            params=self.params,
            extra={
                "collection": collection.name,
                "dataset": collection.dataset,
                "phases": [
                    {
                        "name": p.name,
                        "workers": p.workers,
                        **({"overlap": True} if p.overlap else {}),
                    }
                    for p in collection.phases
                ],
                **self._quality_announcement(),
                **self.origin,
            },
        )

    def _quality_announcement(self) -> dict[str, Any]:
        """``run_started``'s word on data quality: the fields the run's frame will show
        (in order, from the first event, before any item) and the schema's kind."""
        quality = self.collection.quality
        if quality is None:
            return {}
        return {"quality": {"fields": list(quality.fields), "schema": quality.kind}}

    def _frontier_recorder(self, pipeline: ItemPipeline | None) -> FrontierRecorder | None:
        if self.frontier_sink is None:
            return None
        queues = self.queues
        recorder = FrontierRecorder(
            self.frontier_sink,
            self.run_id,
            next_no=lambda: queues.next_no,
            finished_phases=lambda: [p for p in queues.order if p in queues.finished],
            progress=self.progress.counts,
            items=lambda: self._items_before + (pipeline.submitted if pipeline else 0),
            # A task saved as done must have its items stored first.
            before_save=pipeline.flush if pipeline is not None else None,
        )
        queues.on_added = recorder.added
        return recorder

    async def _close_frontier(self, frontier: FrontierRecorder | None) -> None:
        if frontier is None:
            return
        try:
            async with asyncio.timeout(self.frontier_close_timeout):
                await frontier.close()
        except TimeoutError:
            log.error(
                "run %s: its last frontier changes could not be saved within %gs",
                self.run_id,
                self.frontier_close_timeout,
            )

    async def _queue_first_tasks(self) -> None:
        """The seed's tasks; a resumed run's saved pending tasks; a retry's given tasks."""
        saved = self.resume_from
        if saved is not None:
            self.queues.restore(saved.pending, saved.keys, saved.next_no, saved.finished_phases)
            self.progress.restore(saved.progress)
            for phase in saved.finished_phases:
                self.progress.phase_ended(phase)
            # The outcome judges the whole run, not only the part after the crash.
            self.control.tasks_done += saved.done
            self.control.tasks_failed += saved.failed
            return
        if self.initial_tasks is not None:
            for phase, task in self.initial_tasks:
                self.queues.put(task, phase)
            return
        await self._seed()

    def _judge(self, pipeline: ItemPipeline | None, extra: dict[str, Any]) -> None:
        """The run reached its end: its outcome rules decide how it went."""
        control = self.control
        verdict = decide(
            self.collection.outcome,
            TaskCounts(
                done=control.tasks_done,
                failed=control.tasks_failed,
                items=self._items_before + (pipeline.submitted if pipeline is not None else 0),
                dataset=self.collection.dataset,
            ),
        )
        self.status = verdict.status
        if verdict.status is RunStatus.FAILED:
            self._finish(Action.RUN_FAILED, verdict.reason, extra)
        else:
            extra["status"] = verdict.status.value
            self._finish(Action.RUN_COMPLETED, verdict.reason, extra)

    def _finish(self, action: Action, reason: str, extra: dict[str, Any], **fields: Any) -> None:
        """Record why the run ended, say it and emit its last event."""
        self.finish_reason = reason
        extra["finish_reason"] = reason
        # A verdict against the run is a warning; a clean end or a cancel someone asked for
        # is not.
        quiet = self.status in (RunStatus.COMPLETED, RunStatus.CANCELLED)
        level = logging.INFO if quiet else logging.WARNING
        log.log(level, "run %s %s: %s", self.run_id, self.status.value, reason)
        self._emit(action, phase=self._phase, extra=extra, **fields)

    async def _seed(self) -> None:
        assert self.collection.seed_fn is not None
        produced = self.collection.seed_fn(self.params)
        if asyncio.iscoroutine(produced) or isinstance(produced, asyncio.Future):
            produced = await produced
        for task in produced:  # type: ignore[union-attr]
            if not isinstance(task, Task):
                raise TypeError(f"seed must return Task objects, got {type(task).__name__}")
            self.queues.put(task)

    async def _dataset_extra(self) -> dict[str, Any]:
        if self.sink is None:
            return {}
        return {"dataset": self.sink.dataset, "dataset_size": await self.sink.count()}

    def _emit_progress(self) -> None:
        if self.progress.dirty:
            self._emit(
                Action.RUN_PROGRESS, phase=self._phase, extra={"progress": self.progress.snapshot()}
            )

    async def _report_progress(self) -> None:
        while True:
            await asyncio.sleep(self.progress_interval)
            self._emit_progress()

    async def _poll_commands(self) -> None:
        assert self.control_source is not None
        source = self.control_source
        failing = False
        while True:
            await asyncio.sleep(self.control_interval)
            try:
                commands = await source.pending(self.run_id)
            except Exception as exc:
                # Said once per outage (the poll runs 4 times a second), then its end.
                if not failing:
                    log.warning("polling commands for run %s failed (%r)", self.run_id, exc)
                failing = True
                continue
            if failing:
                log.info("polling commands for run %s works again", self.run_id)
                failing = False
            for command_id, command in commands:
                outcome = self.apply_command(command)
                ack = asyncio.create_task(source.acknowledge(command_id, outcome))
                self._acks.add(ack)
                ack.add_done_callback(self._ack_done)

    def _ack_done(self, ack: asyncio.Task[None]) -> None:
        self._acks.discard(ack)
        if not ack.cancelled() and ack.exception() is not None:
            log.error("acknowledging a command of run %s failed: %r", self.run_id, ack.exception())
