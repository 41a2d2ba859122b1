"""Whether the event pipeline keeps up: can events be stored now, and must workers wait.

Events wait in the recorder's buffer until they are stored. While storage is slow or
failing that buffer grows; above ``max_unstored`` events the runners here wait before
their next task until half of them are stored, so memory stays bounded and nothing is
dropped.
"""

from __future__ import annotations

import logging
import time

import msgspec

from crawlscope.store import Recorder
from crawlscope.store.database import DatabaseFileGone
from crawlscope.store.health import StorageStatus, classify
from crawlscope.store.recorder import RecorderStats
from crawlscope.store.repositories import Store

__all__ = ["PipelineHealth", "StorageWatch"]

log = logging.getLogger(__name__)


class PipelineHealth(msgspec.Struct, kw_only=True):
    """How the event pipeline is doing (``GET /api/health/services``)."""

    subscribers: int
    recorder: RecorderStats
    storage: StorageStatus


class StorageWatch:
    """The recorder's and the store's state, read without a query, and the backpressure
    on runners it implies."""

    def __init__(self, recorder: Recorder, store: Store, *, max_unstored: int) -> None:
        self._recorder = recorder
        self._store = store
        self.max_unstored = max_unstored
        self._congested_since: float | None = None

    def status(self) -> StorageStatus:
        """Whether events can be stored now and, if not, why."""
        recorder = self._recorder
        unstored = recorder.backlog
        problem = self._store.file_problem()
        if problem is not None:
            cause, message = classify(DatabaseFileGone(problem))
        elif recorder.last_error is not None:
            cause, message = classify(recorder.last_error)
        else:
            return StorageStatus(ok=True, unstored=unstored)
        since = recorder.failing_since
        return StorageStatus.failing(
            cause,
            message,
            unstored=unstored,
            failing_for_s=None if since is None else time.monotonic() - since,
        )

    @property
    def failing(self) -> bool:
        """Whether the last write failed (or the database file is gone)."""
        return self._recorder.last_error is not None or self._store.file_problem() is not None

    def congested(self) -> bool:
        """More than ``max_unstored`` events wait to be stored: workers should wait."""
        if self._recorder.backlog <= self.max_unstored:
            return False
        if self._congested_since is None:
            self._congested_since = time.monotonic()
            log.warning(
                "%d events wait to be stored (%s); workers wait before their next task",
                self._recorder.backlog,
                self.status().sentence(),
            )
        return True

    async def wait_ready(self) -> None:
        """Return once no more than half of ``max_unstored`` events wait to be stored."""
        await self._recorder.wait_below(self.max_unstored // 2)
        if self._congested_since is not None:
            log.info(
                "storage caught up after %.1fs; workers go on",
                time.monotonic() - self._congested_since,
            )
            self._congested_since = None
