"""The events of one worker's requests and tasks, for runs whose requests other code makes
(``ExternalRun``): the same records crawlscope's own request path emits (docs/events.md,
"What a runner emits")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from crawlscope.events import Action, ActivityEvent, ErrorStage, ErrorType, truncate_message

__all__ = ["WorkerEvents", "classify_status", "site_of"]


def site_of(url: str) -> str | None:
    """The event's ``site``: ``host[:port]`` of the URL."""
    netloc = urlsplit(url).netloc
    return netloc.rpartition("@")[2] or None


def classify_status(status: int) -> ErrorType | None:
    """The error type of an HTTP status (None: a success)."""
    if status == 429:
        return ErrorType.RATE_LIMIT
    if status >= 500:
        return ErrorType.HTTP_5XX
    if status >= 400:
        return ErrorType.HTTP_4XX
    return None


class WorkerEvents:
    """Builds and emits worker events; counts the tasks that ended (for the outcome)."""

    run_id: str
    phase: str
    emit: Callable[[ActivityEvent], None]
    tasks_done: int
    tasks_failed: int

    def fetching(self, worker_id: int, url: str, method: str, attempt: int, task: str) -> None:
        """A request attempt is sent."""
        self.emit(
            ActivityEvent(
                run_id=self.run_id,
                action=Action.FETCHING,
                worker_id=worker_id,
                phase=self.phase,
                task=task,
                site=site_of(url),
                url=url,
                method=method,
                attempt=attempt,
            )
        )

    def answered(
        self,
        worker_id: int,
        url: str,
        method: str,
        status: int,
        duration_ms: float,
        attempt: int,
        task: str,
        size: int | None = None,
    ) -> ErrorType | None:
        """A response came: ``found``, or ``rate_limited``/``error`` for 429/4xx/5xx.
        ``size``: its body's bytes, when known (``extra.bytes``, priced per GB received).
        Returns the error type (None: a success)."""
        error_type = classify_status(status)
        action = Action.FOUND
        fields: dict[str, Any] = {}
        if error_type is ErrorType.RATE_LIMIT:
            action = Action.RATE_LIMITED
        elif error_type is not None:
            action = Action.ERROR
        if error_type is not None:
            fields = {
                "error_type": error_type,
                "error_stage": ErrorStage.REQUEST,
                "error_message": f"HTTP {status}",
            }
        self.emit(
            ActivityEvent(
                run_id=self.run_id,
                action=action,
                worker_id=worker_id,
                phase=self.phase,
                task=task,
                site=site_of(url),
                url=url,
                method=method,
                status_code=status,
                duration_ms=round(duration_ms, 3),
                attempt=attempt,
                extra={"bytes": size} if size else None,
                **fields,
            )
        )
        return error_type

    def failed(
        self,
        worker_id: int,
        url: str,
        method: str,
        error_type: ErrorType,
        message: str,
        duration_ms: float,
        attempt: int,
        task: str,
    ) -> None:
        """A request attempt got no response (timeout, connection error, cancelled)."""
        self.emit(
            ActivityEvent(
                run_id=self.run_id,
                action=Action.ERROR,
                worker_id=worker_id,
                phase=self.phase,
                task=task,
                site=site_of(url),
                url=url,
                method=method,
                duration_ms=round(duration_ms, 3),
                attempt=attempt,
                error_type=error_type,
                error_stage=ErrorStage.REQUEST,
                error_message=truncate_message(message),
            )
        )

    def retrying(
        self, worker_id: int, url: str, error_type: ErrorType | None, attempt: int, task: str
    ) -> None:
        """Another attempt of a failed request follows (``attempt`` is the next one's)."""
        self.emit(
            ActivityEvent(
                run_id=self.run_id,
                action=Action.RETRYING,
                worker_id=worker_id,
                phase=self.phase,
                task=task,
                site=site_of(url),
                url=url,
                attempt=attempt,
                error_type=error_type,
            )
        )

    def task_ended(
        self,
        worker_id: int,
        task: str,
        duration_ms: float,
        *,
        items: int = 0,
        error_type: ErrorType | None = None,
        error_stage: str | None = None,
        message: str | None = None,
        url: str | None = None,
    ) -> None:
        """A task is over: ``complete``, with the error if it failed."""
        if error_type is None:
            self.tasks_done += 1
        else:
            self.tasks_failed += 1
        self.emit(
            ActivityEvent(
                run_id=self.run_id,
                action=Action.COMPLETE,
                worker_id=worker_id,
                phase=self.phase,
                task=task,
                site=site_of(url) if url else None,
                url=url,
                duration_ms=round(duration_ms, 3),
                items_count=items,
                error_type=error_type,
                error_stage=error_stage,
                error_message=truncate_message(message) if message else None,
            )
        )
