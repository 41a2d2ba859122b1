"""A worker: takes tasks from its phase's queue and runs the handler, with task retries."""

from __future__ import annotations

import asyncio
import logging
import time

from crawlscope.events import Action, ActivityEvent, ErrorStage, ErrorType, truncate_message
from crawlscope.runner.collection import Phase
from crawlscope.runner.context import RunScope, TaskContext
from crawlscope.runner.errors import ParseError, RequestFailed, RobotsDisallowed
from crawlscope.runner.task import Task

__all__ = ["run_task", "worker_loop"]

log = logging.getLogger(__name__)

# Bound once: in Python 3.11 looking a member up on an enum class costs about 0.07 µs
# (``EnumType.__getattr__``'s slow path), and every task builds a ``complete`` event.
_COMPLETE = Action.COMPLETE
_PARSE_ERROR = ErrorType.PARSE_ERROR
_HANDLER_ERROR = ErrorType.HANDLER_ERROR
_HANDLER = ErrorStage.HANDLER


async def worker_loop(scope: RunScope, phase: Phase, worker_id: int) -> None:
    """Serve ``phase``'s queue until cancelled (the run cancels workers when it drains)."""
    queue = scope.queues.queues[phase.name]
    control = scope.control
    congested = scope.congested
    while True:
        if control.paused:  # checked first: most tasks start without creating a coroutine
            await control.wait_running()
        if congested():
            # Events wait to be stored or sent faster than they go: hold the next task.
            await scope.wait_ready()
        if control.cancelled:
            # Cancelled while finishing a task: do not take another one only to have it
            # recorded as cancelled; it stays pending (``run_cancelled`` counts it).
            return
        # ``get_nowait`` first: ``await queue.get()`` creates a coroutine per task even
        # when one is waiting, which it returns at once just the same.
        try:
            no, task = queue.get_nowait()
        except asyncio.QueueEmpty:
            no, task = await queue.get()
        try:
            await run_task(scope, phase, worker_id, task, no)
        finally:
            queue.task_done()


def _ms_since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def _waited(waited_ms: float) -> dict[str, float] | None:
    """``extra`` of a task's ``complete``: its time at site gates, when it had any."""
    return {"wait_ms": round(waited_ms, 2)} if waited_ms else None


async def run_task(scope: RunScope, phase: Phase, worker_id: int, task: Task, no: int = 0) -> None:
    """Run one task (number ``no`` in the run) to its end: exactly one ``complete`` event,
    success or not; the frontier learns how it ended.

    A ``ParseError`` is retried up to the collection's ``task_attempts``; any other
    exception from the handler is a ``handler_error`` (a bug, or data the code did not
    expect), logged with its traceback and retried only if the collection says so
    (``retry_handler_errors``). The ``complete`` event carries the time the task spent
    waiting at site gates (``extra.wait_ms``), apart from its total ``duration_ms``.
    """
    collection = scope.collection
    attempts = collection.task_attempts
    t0 = time.perf_counter()
    waited = 0.0  # ms at site gates in earlier attempts
    for attempt in range(1, attempts + 1):
        ctx = TaskContext(scope, worker_id, phase.name, task, attempt)
        try:
            await phase.handler(ctx, task)
        except asyncio.CancelledError:
            _cancelled(ctx, t0, waited + ctx.waited_ms)
            raise
        except RequestFailed as exc:
            waited += ctx.waited_ms
            _fail(scope, ctx, no, t0, waited, exc.error_type, ErrorStage.REQUEST, str(exc))
            return
        except ParseError as exc:
            error_type, stage, message = _PARSE_ERROR, exc.stage, str(exc)
            retry = True
        except RobotsDisallowed as exc:
            _skipped(scope, ctx, no, t0, waited + ctx.waited_ms, exc)
            return
        except Exception as exc:
            log.exception(
                "task %r of run %s: the handler of phase %r raised %s (handler_error%s)",
                task.label,
                scope.run_id,
                phase.name,
                type(exc).__name__,
                "" if collection.retry_handler_errors else ", not retried",
            )
            error_type, stage, message = _HANDLER_ERROR, _HANDLER, f"{type(exc).__name__}: {exc}"
            retry = collection.retry_handler_errors
        else:
            items = ctx.commit()
            scope.control.task_succeeded()
            if scope.frontier is not None:
                scope.frontier.finished(no, failed=False)
            waited += ctx.waited_ms
            # Built directly (as in ``TaskContext.emit``): one event per task, on the hot path.
            scope.emit(
                ActivityEvent(
                    run_id=scope.run_id,
                    action=_COMPLETE,
                    worker_id=worker_id,
                    phase=phase.name,
                    task=task.label,
                    category=task.category,
                    item=task.item,
                    attempt=attempt,
                    duration_ms=_ms_since(t0),
                    items_count=items,
                    extra={"wait_ms": round(waited, 2)} if waited else None,
                )
            )
            return
        waited += ctx.waited_ms
        ctx.emit(
            Action.ERROR,
            attempt=attempt,
            error_type=error_type,
            error_stage=stage,
            error_message=truncate_message(message),
        )
        if not retry or attempt == attempts:
            _fail(scope, ctx, no, t0, waited, error_type, stage, message)
            return
        delay = collection.task_retry_delay * (2 ** (attempt - 1))
        ctx.emit(
            Action.RETRYING,
            attempt=attempt,
            error_type=error_type,
            extra={"delay_s": delay},
        )
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            # Cancelled between attempts: the task still ends with its one ``complete``.
            _cancelled(ctx, t0, waited)
            raise


def _skipped(
    scope: RunScope, ctx: TaskContext, no: int, t0: float, waited_ms: float, exc: RobotsDisallowed
) -> None:
    """The handler let ``RobotsDisallowed`` through: the task is done, as skipped (the site
    asked not to be crawled there; nothing failed), and nothing of the attempt is kept."""
    scope.control.task_succeeded()
    if scope.frontier is not None:
        scope.frontier.finished(no, failed=False)
    ctx.emit(
        Action.COMPLETE,
        attempt=ctx.attempt,
        duration_ms=_ms_since(t0),
        url=exc.url,
        extra={**(_waited(waited_ms) or {}), "skipped": "robots.txt"},
    )


def _cancelled(ctx: TaskContext, t0: float, waited_ms: float) -> None:
    ctx.emit(
        Action.COMPLETE,
        attempt=ctx.attempt,
        duration_ms=_ms_since(t0),
        error_type=ErrorType.CANCELLED,
        error_message="run cancelled",
        extra=_waited(waited_ms),
    )


def _fail(
    scope: RunScope,
    ctx: TaskContext,
    no: int,
    t0: float,
    waited_ms: float,
    error_type: ErrorType,
    stage: str,
    message: str,
) -> None:
    requeue_self, earlier = scope.control.task_failed(
        ctx.phase, (no, ctx.task), f"{error_type} at {stage}: {message[:200]}"
    )
    frontier = scope.frontier
    if frontier is not None:
        if not requeue_self:
            frontier.finished(no, failed=True)
        for _, (earlier_no, _task) in earlier:
            frontier.pending_again(earlier_no)  # counted as failed before the pause
    extra = _waited(waited_ms)
    if requeue_self:
        extra = {**(extra or {}), "requeued": True}
    ctx.emit(
        Action.COMPLETE,
        attempt=ctx.attempt,
        duration_ms=_ms_since(t0),
        error_type=error_type,
        error_stage=stage,
        error_message=truncate_message(message),
        extra=extra,
    )
    if requeue_self:
        scope.queues.requeue(ctx.phase, (no, ctx.task))
    for phase, task in earlier:
        scope.queues.requeue(phase, task)
