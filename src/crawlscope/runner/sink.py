"""The data pipeline: items from workers, batched, deduplicated and written to the dataset.

Each batch emits, per source worker, ``uploading`` (items submitted) and then ``inserted``,
``updated`` and ``deduped`` with counts. Those events carry ``worker_id`` 0 (the pipeline)
and ``source_worker_id`` (the producer), so every number on a worker card is traceable.
Items a sink refused for good (a server's dataset refusing an item: its ``WriteResult``
has ``rejected``, key -> reason) are reported as ``error`` events of stage ``pipeline``.
When the collection declares an item schema, each ``uploading`` event also carries
``extra.quality``: the producer's items of the batch validated and their fields counted
(``crawlscope.runner.quality``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from crawlscope.events import Action, ActivityEvent, ErrorStage, ErrorType, truncate_message
from crawlscope.runner.quality import ItemQuality
from crawlscope.runner.reporter import ItemSink

__all__ = ["ItemPipeline"]

log = logging.getLogger(__name__)


class ItemPipeline:
    """Buffers ``(worker, key, item)`` and writes batches to an ``ItemSink``.

    A failed write is reported as a ``pipeline`` error and retried with backoff; items are
    kept until they are stored.
    """

    def __init__(
        self,
        sink: ItemSink,
        run_id: str,
        emit: Callable[[ActivityEvent], None],
        *,
        batch_size: int = 500,
        interval: float = 0.25,
        quality: ItemQuality | None = None,
    ) -> None:
        self.sink = sink
        self.quality = quality
        self.run_id = run_id
        self.emit = emit
        self.batch_size = batch_size
        self.interval = interval
        self._pending: list[tuple[int, str, Any]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._phase: str | None = None
        self._closing = False
        self.submitted = 0
        """Items handed over by tasks so far (before deduplication)."""

    def set_phase(self, phase: str | None) -> None:
        """The phase shown on pipeline events from now on."""
        self._phase = phase

    def add(self, worker_id: int, items: list[tuple[str, Any]]) -> None:
        """Queue a task's items (already keyed) for the next batch."""
        self.submitted += len(items)
        self._pending.extend((worker_id, key, item) for key, item in items)
        if len(self._pending) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        """Start the background flusher."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"pipeline-{self.run_id}")

    async def close(self) -> None:
        """Stop the flusher and write whatever is left.

        The flusher is asked to stop, not cancelled: cancelling it inside a write would
        drop the batch it had taken (and its events) on the floor.
        """
        if self._task is not None:
            self._closing = True
            self._wake.set()
            await self._task
            self._task = None
            self._closing = False
        await self.flush()

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write every pending item (in batches), retrying failed writes."""
        async with self._lock:
            delay = 0.5
            while self._pending:
                batch = self._pending[: self.batch_size]
                del self._pending[: self.batch_size]
                try:
                    await self._write(batch)
                except Exception as exc:  # any sink failure: keep the items, report, retry
                    self._pending[:0] = batch
                    self._report_failure(batch, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
                else:
                    delay = 0.5

    async def _write(self, batch: list[tuple[int, str, Any]]) -> None:
        submitted: dict[int, int] = {}
        owner: dict[str, tuple[int, Any]] = {}
        deduped: dict[int, int] = {}
        for worker_id, key, item in batch:
            submitted[worker_id] = submitted.get(worker_id, 0) + 1
            previous = owner.get(key)
            if previous is not None:
                # The same key twice in one batch: the later copy wins, the earlier one is
                # a duplicate of the producer that sent it.
                deduped[previous[0]] = deduped.get(previous[0], 0) + 1
            owner[key] = (worker_id, item)
        outcome = await self.sink.write(self.run_id, [(k, v[1]) for k, v in owner.items()])
        # Announced after the write succeeded, so a retried batch is not counted twice.
        quality = self._check_quality(batch) if self.quality is not None else {}
        for worker_id, count in submitted.items():
            self._event(
                Action.UPLOADING, worker_id, count, "item_batch", quality=quality.get(worker_id)
            )
        inserted: dict[int, int] = {}
        updated: dict[int, int] = {}
        for key in outcome.inserted:
            worker_id = owner[key][0]
            inserted[worker_id] = inserted.get(worker_id, 0) + 1
        for key in outcome.updated:
            worker_id = owner[key][0]
            updated[worker_id] = updated.get(worker_id, 0) + 1
        for key in outcome.unchanged:
            worker_id = owner[key][0]
            deduped[worker_id] = deduped.get(worker_id, 0) + 1
        for worker_id, count in inserted.items():
            self._event(Action.INSERTED, worker_id, count, "item_insert", new_count=count)
        for worker_id, count in updated.items():
            self._event(Action.UPDATED, worker_id, count, "item_update")
        for worker_id, count in deduped.items():
            self._event(Action.DEDUPED, worker_id, count, "item_dedupe")
        rejected: dict[str, str] = getattr(outcome, "rejected", None) or {}
        if rejected:
            refused: dict[int, list[str]] = {}
            for key, reason in rejected.items():
                refused.setdefault(owner[key][0], []).append(reason)
            for worker_id, reasons in refused.items():
                self._rejected(worker_id, reasons)

    def _check_quality(self, batch: list[tuple[int, str, Any]]) -> dict[int, dict[str, Any]]:
        """``extra.quality`` per producer: every item it handed over, duplicates included,
        so ``checked`` adds up to the ``uploading`` counts."""
        assert self.quality is not None
        by_worker: dict[int, list[Any]] = {}
        for worker_id, _key, item in batch:
            items = by_worker.get(worker_id)
            if items is None:
                items = by_worker[worker_id] = []
            items.append(item)
        result: dict[int, dict[str, Any]] = {}
        for worker_id, items in by_worker.items():
            counts = self.quality.check(items)
            result[worker_id] = {
                "checked": counts.checked,
                "invalid": counts.invalid,
                "present": counts.present,
                "errors": counts.errors,
            }
        return result

    def _event(
        self,
        action: Action,
        worker_id: int,
        count: int,
        operation: str,
        new_count: int | None = None,
        quality: dict[str, Any] | None = None,
    ) -> None:
        extra: dict[str, Any] = {"dataset": self.sink.dataset}
        if quality is not None:
            extra["quality"] = quality
        self.emit(
            ActivityEvent(
                run_id=self.run_id,
                action=action,
                worker_id=0,
                phase=self._phase,
                source_worker_id=worker_id,
                items_count=count,
                new_count=new_count,
                operation_type=operation,
                extra=extra,
            )
        )

    def _rejected(self, worker_id: int, reasons: list[str]) -> None:
        self.emit(
            ActivityEvent(
                run_id=self.run_id,
                action=Action.ERROR,
                worker_id=0,
                phase=self._phase,
                source_worker_id=worker_id,
                items_count=len(reasons),
                operation_type="item_reject",
                error_type=ErrorType.API_ERROR,
                error_stage=ErrorStage.PIPELINE,
                error_message=truncate_message(f"{len(reasons)} item(s) refused: {reasons[0]}"),
                extra={"dataset": self.sink.dataset},
            )
        )

    def _report_failure(self, batch: list[tuple[int, str, Any]], exc: Exception) -> None:
        log.warning("dataset write failed, will retry: %r", exc)
        workers: dict[int, int] = {}
        for worker_id, _key, _item in batch:
            workers[worker_id] = workers.get(worker_id, 0) + 1
        for worker_id, count in workers.items():
            self.emit(
                ActivityEvent(
                    run_id=self.run_id,
                    action=Action.ERROR,
                    worker_id=0,
                    phase=self._phase,
                    source_worker_id=worker_id,
                    items_count=count,
                    operation_type="item_batch",
                    error_type=ErrorType.API_ERROR,
                    error_stage=ErrorStage.PIPELINE,
                    error_message=truncate_message(f"{type(exc).__name__}: {exc}"),
                )
            )
