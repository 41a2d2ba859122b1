"""``ExternalRun``: a crawlscope run whose requests someone else's code makes.

A Scrapy spider or an asyncio script decides what to fetch; this class turns what they
report (a request sent, answered or failed, an item, a task ended) into the same events a
crawlscope ``Run`` emits (docs/events.md), so the server shows it like a native run: worker
cards, sites, totals, the dataset, the outcome. It polls the destination for
pause/resume/cancel and hands them to the integration (``on_command``).

Tasks: every unit the integration reports with ``task_ended`` (a Scrapy request and its
callback, a tracked request) is a task; the outcome rules of docs/events.md judge the run
over them when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from crawlscope.events import Action, ActivityEvent, ErrorStage, ErrorType, truncate_message
from crawlscope.integrations.destination import Connection
from crawlscope.integrations.slots import WorkerSlots
from crawlscope.integrations.worker_events import WorkerEvents
from crawlscope.runner.outcome import OutcomeRules, TaskCounts, decide
from crawlscope.runner.run import new_run_id
from crawlscope.runner.sink import ItemPipeline
from crawlscope.status import ControlCommand, ControlOutcome, RunStatus

__all__ = ["ExternalRun"]

log = logging.getLogger(__name__)

CommandHook = Callable[[ControlCommand], bool]
"""Applies pause/resume/cancel to the integration; False if it could not."""

_encode_sorted = msgspec.json.Encoder(order="sorted").encode


class ExternalRun(WorkerEvents):
    """One run reported from outside crawlscope's runner.

    ``start()`` opens the run (``run_started``, one ``phase_started`` with ``workers``
    cards); the integration then reports requests, items and task ends; ``finish()``
    writes the last items and ends the run (``run_completed`` / ``run_failed`` /
    ``run_cancelled``, the outcome decided by ``outcome``).
    """

    progress_interval = 0.5
    control_interval = 0.25
    items_interval = 1.0

    def __init__(
        self,
        connection: Connection,
        name: str,
        *,
        params: dict[str, Any] | None = None,
        dataset: str | None = None,
        key: str | None = None,
        phase: str = "crawl",
        workers: int = 0,
        origin: dict[str, Any] | None = None,
        outcome: OutcomeRules | None = None,
        run_id: str | None = None,
        progress_level: str = "requests",
    ) -> None:
        self.connection = connection
        self.reporter = connection.reporter
        self.name = name
        self.params = params or {}
        self.dataset = dataset
        self.key = key
        self.phase = phase
        self.workers = workers
        self.origin = origin or {}
        self.outcome = outcome or OutcomeRules()
        self.run_id = run_id or new_run_id()
        self.progress_level = progress_level
        self.slots = WorkerSlots()
        self.status = RunStatus.PENDING
        self.finish_reason: str | None = None
        self.on_command: CommandHook | None = None
        self.paused = False
        self.cancel_reason: str | None = None
        self.tasks_done = 0
        self.tasks_failed = 0
        self.items = 0
        self.pending: Callable[[], int] | None = None
        """Work known and not done yet, asked at each progress report: the progress
        total is done + pending (without it, the total is what is done)."""
        self._progress_shown = (-1, -1)
        self._pipeline: ItemPipeline | None = None
        self._items: list[tuple[int, str, Any]] = []
        self._items_writer: asyncio.Task[None] | None = None
        self._stop_items = asyncio.Event()
        self._helpers: list[asyncio.Task[None]] = []
        self._acks: set[asyncio.Task[None]] = set()
        self.emit = self.reporter.emit

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the run on its destination and announce it."""
        await self.reporter.open_run(self.run_id, self.name, self.params, self.dataset)
        if self.dataset is not None:
            sink = self.connection.item_sink(self.dataset, self.run_id)
            self._pipeline = ItemPipeline(sink, self.run_id, self.emit)
            self._pipeline.set_phase(self.phase)
        self.status = RunStatus.RUNNING
        self._system(
            Action.RUN_STARTED,
            params=self.params,
            extra={
                "collection": self.name,
                "dataset": self.dataset,
                "phases": [{"name": self.phase, "workers": self.workers}],
                **self.origin,
            },
        )
        self._system(Action.PHASE_STARTED, extra={"workers": self.workers, "tasks": 0})
        self._helpers = [
            asyncio.create_task(self._report_progress()),
            asyncio.create_task(self._poll_commands()),
        ]
        if self._pipeline is not None:
            self._items_writer = asyncio.create_task(self._write_items(self._pipeline))

    async def finish(
        self,
        *,
        error: str | None = None,
        note: str | None = None,
        stats: dict[str, Any] | None = None,
    ) -> RunStatus:
        """End the run: ``run_cancelled`` if it was cancelled, ``run_failed`` with
        ``error`` (an exception ended it), else the outcome rules' verdict. ``note`` is
        added to the finish reason; ``stats`` go on the last event (``extra.stats``)."""
        if self._items_writer is not None:
            # Asked to stop, not cancelled: a write cancelled midway would lose its batch.
            self._stop_items.set()
            await self._items_writer
        for helper in self._helpers:
            helper.cancel()
        await asyncio.gather(*self._helpers, return_exceptions=True)
        await asyncio.gather(*self._acks, return_exceptions=True)
        extra: dict[str, Any] = {}
        if self._pipeline is not None:
            await self._hand_over(self._pipeline)
            extra["dataset"] = self.dataset
            with contextlib.suppress(Exception):  # the size is a nicety, not the result
                extra["dataset_size"] = await self._pipeline.sink.count()
        self._emit_progress()
        if stats:
            extra["stats"] = stats
        action = Action.RUN_COMPLETED
        fields: dict[str, Any] = {}
        if self.cancel_reason is not None:
            self.status, action = RunStatus.CANCELLED, Action.RUN_CANCELLED
            reason = self.cancel_reason
        elif error is not None:
            self.status, action = RunStatus.FAILED, Action.RUN_FAILED
            reason = error
            fields["error_message"] = truncate_message(error)
        else:
            self._system(Action.PHASE_COMPLETED)
            verdict = decide(
                self.outcome,
                TaskCounts(self.tasks_done, self.tasks_failed, self.items, self.dataset),
            )
            self.status, reason = verdict.status, verdict.reason
            if verdict.status is RunStatus.FAILED:
                action = Action.RUN_FAILED
            else:
                extra["status"] = verdict.status.value
        if note:
            reason = f"{reason}; {note}"
        self.finish_reason = extra["finish_reason"] = reason
        quiet = self.status in (RunStatus.COMPLETED, RunStatus.CANCELLED)
        level = logging.INFO if quiet else logging.WARNING
        log.log(level, "run %s %s: %s", self.run_id, self.status.value, reason)
        self._system(action, extra=extra, **fields)
        await self.reporter.flush()
        return self.status

    # -- what the integration reports -------------------------------------------------------

    def item(self, worker_id: int, item: Mapping[str, Any]) -> bool:
        """Hand one item to the dataset; False (and a ``validation`` error) if it lacks
        the key field. Without a ``key`` the item's content is its key (equal items are
        one item). The item is stored as it is when the batch is written (not copied)."""
        if self._pipeline is None:
            raise RuntimeError("this run keeps no dataset: give it one to report items")
        if self.key is None:
            key = hashlib.sha1(_encode_sorted(item)).hexdigest()[:20]
        else:
            value = item.get(self.key)
            if value is None or value == "":
                self.emit(
                    ActivityEvent(
                        run_id=self.run_id,
                        action=Action.ERROR,
                        worker_id=worker_id,
                        phase=self.phase,
                        error_type=ErrorType.PARSE_ERROR,
                        error_stage=ErrorStage.VALIDATION,
                        error_message=f"item has no {self.key!r}: not stored",
                    )
                )
                return False
            key = str(value)
        self.items += 1
        self._items.append((worker_id, key, item))
        return True

    # -- control --------------------------------------------------------------------------

    def apply(self, command: ControlCommand) -> ControlOutcome:
        """Pause, resume or cancel: the integration's hook acts, this records it."""
        command = ControlCommand(command)
        state = "paused" if self.paused else self.status.value
        possible = {
            ControlCommand.PAUSE: self.status.active and not self.paused,
            ControlCommand.RESUME: self.paused,
            ControlCommand.CANCEL: self.status.active and self.cancel_reason is None,
        }[command]
        if not possible or (self.on_command is not None and not self.on_command(command)):
            return ControlOutcome.refused(command, f"run is {state}")
        if command is ControlCommand.PAUSE:
            self.paused = True
            self._system(Action.RUN_PAUSED, extra={"reason": "paused by operator", "auto": False})
        elif command is ControlCommand.RESUME:
            self.paused = False
            self._system(Action.RUN_RESUMED)
        else:
            self.cancel_reason = "cancelled by operator"
        return ControlOutcome.accepted(command)

    # -- helpers --------------------------------------------------------------------------

    def _system(self, action: Action, **fields: Any) -> None:
        self.emit(
            ActivityEvent(
                run_id=self.run_id, action=action, worker_id=0, phase=self.phase, **fields
            )
        )

    def _emit_progress(self) -> None:
        done = self.tasks_done + self.tasks_failed
        total = done
        if self.pending is not None and self.status.active:
            total += max(0, self.pending())
        if (done, total) == self._progress_shown:
            return
        self._progress_shown = (done, total)
        level = {"level": self.progress_level, "done": done, "total": total}
        self._system(Action.RUN_PROGRESS, extra={"progress": [level]})

    async def _write_items(self, pipeline: ItemPipeline) -> None:
        while not self._stop_items.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_items.wait(), self.items_interval)
            await self._hand_over(pipeline)

    async def _hand_over(self, pipeline: ItemPipeline) -> None:
        """Give the items reported since the last time to the pipeline and write them.

        The pipeline is given items only here, once a second: its own flusher writes
        whatever arrives while a write is out at once, which for a crawler's process
        meant a request to the server (about a millisecond of CPU) per 20 items.
        """
        items, self._items = self._items, []
        for worker_id, key, item in items:
            pipeline.add(worker_id, [(key, item)])
        await pipeline.flush()

    async def _report_progress(self) -> None:
        while True:
            await asyncio.sleep(self.progress_interval)
            self._emit_progress()

    async def _poll_commands(self) -> None:
        source = self.connection.control
        while True:
            await asyncio.sleep(self.control_interval)
            try:
                commands = await source.pending(self.run_id)
            except Exception:
                log.exception("polling commands for run %s failed", self.run_id)
                continue
            for command_id, command in commands:
                outcome = self.apply(command)
                ack = asyncio.create_task(source.acknowledge(command_id, outcome))
                self._acks.add(ack)
                ack.add_done_callback(self._acks.discard)
