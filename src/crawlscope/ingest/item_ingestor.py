"""Writing a remote runner's item batches into the server's datasets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from crawlscope.ingest.items import ItemBatch, ItemBatchResult
from crawlscope.ingest.wire import IngestRejected, IngestUnavailable
from crawlscope.store import StoreError
from crawlscope.store.datasets import BatchMismatch
from crawlscope.store.repositories import Store
from crawlscope.timestamps import utc_now

__all__ = ["ItemIngestor"]

_FORGET_EVERY_S = 3600.0


class ItemIngestor:
    """Writes validated item batches of remote runs into their datasets.

    A batch is accepted only for a run that exists here, was started by a remote runner
    and writes to that run's dataset (its events come first: the runner delivers them
    before its first items). Writes to one dataset are serialised in this process, so two
    copies of a batch, or two batches with a key in common, never race; the store's
    batch record makes the answer to a copy the first answer. Batch records older than
    ``batch_ttl`` are forgotten (checked hourly): a retry later than that is written
    again, which leaves the dataset right and reports its keys as unchanged.
    """

    def __init__(
        self,
        store: Store,
        *,
        batch_ttl: timedelta = timedelta(days=1),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.batch_ttl = batch_ttl
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._runs: dict[str, str | None] = {}  # remote run -> its dataset (None: not known)
        self._forgot_at: float | None = None

    async def ingest(self, batch: ItemBatch) -> ItemBatchResult:
        """Store the batch (or find it stored) and say what happened to each key.

        ``IngestRejected`` (409) for a run that is unknown, not remote or has another
        dataset, or a ``batch_id`` reused with other items; ``IngestUnavailable`` when the
        database cannot be used (nothing is acknowledged then).
        """
        try:
            return await self._ingest(batch)
        except (sa.exc.DBAPIError, StoreError, OSError) as exc:
            raise IngestUnavailable.database(exc) from exc

    async def _ingest(self, batch: ItemBatch) -> ItemBatchResult:
        await self._check_run(batch)
        datasets = self.store.datasets
        result = ItemBatchResult(dataset=batch.dataset)
        if batch.items:
            assert batch.batch_id is not None  # decode_items requires it with items
            lock = self._locks.setdefault(batch.dataset, asyncio.Lock())
            async with lock:
                try:
                    outcome = await datasets.write_batch(
                        batch.dataset,
                        batch.run_id,
                        batch.batch_id,
                        [(item.key, item.data) for item in batch.items],
                    )
                except BatchMismatch as exc:
                    raise IngestRejected(409, f"batch_id: {exc}", "batch_id") from exc
            result.inserted = outcome.inserted
            result.updated = outcome.updated
            result.unchanged = outcome.unchanged
            result.replayed = outcome.replayed
        if batch.count:
            result.dataset_size = await datasets.count(batch.dataset)
        await self._forget_old_batches()
        return result

    async def _check_run(self, batch: ItemBatch) -> None:
        run_id = batch.run_id
        if run_id not in self._runs:
            record = await self.store.runs.get(run_id)
            if record is None:
                raise IngestRejected(
                    409,
                    f"run_id: no run {run_id!r} here; a runner sends its run's events "
                    "(POST /api/ingest) before its items",
                    "run_id",
                )
            if record.origin != "remote":
                raise IngestRejected(
                    409,
                    f"run_id: run {run_id!r} is a {record.origin} run; only runs started by "
                    "a remote runner accept ingested items",
                    "run_id",
                )
            if record.dataset is not None:
                self._runs[run_id] = record.dataset
                while len(self._runs) > 10_000:
                    del self._runs[next(iter(self._runs))]
            expected = record.dataset
        else:
            expected = self._runs[run_id]
        if expected is not None and expected != batch.dataset:
            raise IngestRejected(
                409,
                f"dataset: run {run_id!r} writes to dataset {expected!r}, not {batch.dataset!r}",
                "dataset",
            )

    async def _forget_old_batches(self) -> None:
        now = self.clock()
        if self._forgot_at is not None and now - self._forgot_at < _FORGET_EVERY_S:
            return
        self._forgot_at = now
        await self.store.datasets.forget_batches(utc_now() - self.batch_ttl)
