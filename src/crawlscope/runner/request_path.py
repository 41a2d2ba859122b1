"""The four steps of every request ``ctx.http`` makes, as ``HttpClient.request`` runs them.

1. **acquire**: the pause gate, then the site gate (Retry-After hold, circuit breaker,
   concurrency slot, rate limit). When nothing is in the way (the run is not paused and
   ``Site.try_enter`` takes a slot) that is a plain call; otherwise ``acquire`` waits,
   and a request that was paused while it waited for the site gives its slot back and
   waits for resume. A request that really has to wait at the site gate says so first
   (``waiting``, with the reason), and the time it waited is added to the task's.
2. **attempt**: one request through the run's ``Transport`` to one ``Outcome``, classified
   by ``classify`` (an answer's status against ``allow_status``; a transport failure keeps
   its type; a cancelled send is recorded as ``cancelled`` and re-raised).
3. **record** (``record_*``): the events, ``fetching`` and then exactly one of ``found`` /
   ``error`` / ``rate_limited`` (and ``retrying`` before another attempt), with the
   breaker's bookkeeping: timeouts, connection errors and 5xx count against the site; any
   other answer, a 429 included, is a sign of life.
4. **delay** (``retry_delay``): whether there is another attempt and after how long: the
   capped ``Retry-After`` of a 429, else exponential backoff with jitter; never past
   ``max_attempts``, only for retryable failures.

Only the transport call, and ``acquire`` when there is something to wait for, create a
coroutine; the other steps are plain calls. The ``fetching`` and ``found`` events of every
successful request are built directly rather than through ``ctx.emit(action, **fields)``,
whose double keyword packing costs about a third of the event (same fields, same labels
as ``TaskContext.emit``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from crawlscope.events import (
    Action,
    ActivityEvent,
    ErrorStage,
    ErrorType,
    truncate_message,
    utc_now_iso,
)
from crawlscope.runner.policy import (
    SitePolicy,
    backoff_delay,
    classify_status,
    is_retryable,
    parse_retry_after,
)
from crawlscope.runner.transport import CONNECTION, Outcome

if TYPE_CHECKING:
    from crawlscope.runner.context import TaskContext
    from crawlscope.runner.site import Site, WaitHook

__all__ = [
    "acquire",
    "classify",
    "failure_message",
    "record_cancelled",
    "record_failure",
    "record_fetching",
    "record_found",
    "record_retrying",
    "record_waiting",
    "retry_delay",
]

# Failures that say the site is unhealthy (and count towards its breaker).
_UNHEALTHY = frozenset({ErrorType.TIMEOUT, ErrorType.CONNECTION, ErrorType.HTTP_5XX})
# Bound once: in Python 3.11 looking a member up on an enum class costs about 0.07 µs
# (``EnumType.__getattr__``'s slow path), and every request builds these two events.
_FETCHING = Action.FETCHING
_FOUND = Action.FOUND


# -- 1. acquire ---------------------------------------------------------------------------


async def acquire(ctx: TaskContext, site: Site, url: str, method: str) -> None:
    """Wait until the run is running and ``site`` lets a request go; take its slot.

    The caller tries ``site.try_enter()`` first when the run is not paused, and comes
    here only if that took nothing. It gives the slot back with ``site.release()`` once
    the attempt is over. Each wait at the site gate is announced by a ``waiting`` event
    (``record_waiting``); the seconds waited there are added to ``ctx.waited_ms``.
    """
    control = ctx.scope.control
    if control.paused:  # the common case skips creating a coroutine
        await control.wait_running()
    on_wait = _announcer(ctx, site.key, url, method)
    waited = await site.acquire(on_wait)
    while control.paused:
        # Paused while this request waited for the site (open breaker, Retry-After hold):
        # it has not started, so it gives its slot back and waits for resume.
        site.release()
        site.breaker.record_abandoned()
        await control.wait_running()
        waited += await site.acquire(on_wait)
    if waited:
        ctx.waited_ms += waited * 1000


def _announcer(ctx: TaskContext, site_key: str, url: str, method: str) -> WaitHook:
    def on_wait(reason: str, seconds: float | None) -> None:
        record_waiting(ctx, site_key, url, method, reason, seconds)

    return on_wait


def record_waiting(
    ctx: TaskContext,
    site_key: str,
    url: str,
    method: str,
    reason: str,
    seconds: float | None,
) -> None:
    """The request has to wait at the site gate: emit ``waiting`` with the reason
    (``extra.waiting_for``: ``rate_limit``, ``retry_after``, ``breaker``, ``concurrency``)
    and, when known, how long (``extra.wait_s``)."""
    extra: dict[str, Any] = {"waiting_for": reason}
    if seconds is not None:
        extra["wait_s"] = round(seconds, 3)
    ctx.emit(Action.WAITING, site=site_key, url=url, method=method, extra=extra)


# -- 2. attempt ---------------------------------------------------------------------------


def classify(outcome: Outcome, allow_status: Collection[int]) -> ErrorType | None:
    """None if ``outcome`` is a success, else its error type.

    A status in ``allow_status`` (say 404 for "no such page") counts as success.
    """
    status = outcome.status
    if status is None:  # no answer: the transport said why (an unlabelled one is a dead line)
        return outcome.error_type or CONNECTION
    return None if status in allow_status else classify_status(status)


# -- 3. record ----------------------------------------------------------------------------


def record_fetching(
    ctx: TaskContext,
    site_key: str,
    url: str,
    method: str,
    params: dict[str, Any] | None,
    attempt: int,
) -> str:
    """Emit ``fetching`` for an attempt about to be sent; returns its ``started_at``."""
    started_at = utc_now_iso()
    scope = ctx.scope
    task = ctx.task
    scope.emit(
        ActivityEvent(
            run_id=scope.run_id,
            action=_FETCHING,
            worker_id=ctx.worker_id,
            phase=ctx.phase,
            task=task.label,
            category=task.category,
            item=task.item,
            site=site_key,
            url=url,
            method=method,
            params=params,
            attempt=attempt,
            started_at=started_at,
        )
    )
    return started_at


def record_found(
    ctx: TaskContext, site: Site, url: str, method: str, outcome: Outcome, attempt: int
) -> None:
    """A successful answer: the site is healthy; emit ``found``."""
    site.breaker.record_success()
    scope = ctx.scope
    task = ctx.task
    scope.emit(
        ActivityEvent(
            run_id=scope.run_id,
            action=_FOUND,
            worker_id=ctx.worker_id,
            phase=ctx.phase,
            task=task.label,
            category=task.category,
            item=task.item,
            site=site.key,
            url=url,
            method=method,
            status_code=outcome.status,
            attempt=attempt,
            duration_ms=outcome.duration_ms,
            extra=_received(outcome),
        )
    )


def _received(outcome: Outcome) -> dict[str, Any] | None:
    """``extra.bytes``: the body's size, which the analytics price per GB received."""
    size = len(outcome.body)
    return {"bytes": size} if size else None


def failure_message(outcome: Outcome) -> str:
    """What went wrong: the transport's message, or the status and a snippet of the body."""
    if outcome.status is None:
        return outcome.message
    return f"HTTP {outcome.status}: {_snippet(outcome.body)}"


def record_failure(
    ctx: TaskContext,
    site: Site,
    url: str,
    method: str,
    outcome: Outcome,
    error_type: ErrorType,
    message: str,
    attempt: int,
) -> float | None:
    """A failed attempt: tell the breaker, emit ``rate_limited`` or ``error``.

    For a 429 with a readable ``Retry-After`` the whole site is held for that long (capped
    at the policy's ``max_retry_after``) and the held seconds are returned; else None.
    """
    breaker = site.breaker
    status = outcome.status
    if error_type is ErrorType.RATE_LIMIT:
        # A 429 is an answer from a live site: it must settle a half-open probe, or the
        # breaker would wait for that probe's verdict forever.
        breaker.record_success()
        retry_after = parse_retry_after(outcome.headers.get("Retry-After"), time.time())
        ctx.emit(
            Action.RATE_LIMITED,
            site=site.key,
            url=url,
            method=method,
            status_code=status,
            attempt=attempt,
            duration_ms=outcome.duration_ms,
            error_type=error_type,
            error_stage=ErrorStage.REQUEST,
            error_message=truncate_message(message),
            extra=_rate_limited_extra(outcome, retry_after),
        )
        if retry_after is None:
            return None
        held = min(retry_after, site.policy.max_retry_after)
        site.hold(held)
        return held
    if error_type in _UNHEALTHY:
        breaker.record_failure()
    else:
        breaker.record_success()  # a 4xx is an answer from a live site
    ctx.emit(
        Action.ERROR,
        site=site.key,
        url=url,
        method=method,
        status_code=status,
        attempt=attempt,
        duration_ms=outcome.duration_ms,
        error_type=error_type,
        error_stage=ErrorStage.REQUEST,
        error_message=truncate_message(message),
        extra=_received(outcome),
    )
    return None


def _rate_limited_extra(outcome: Outcome, retry_after: float | None) -> dict[str, Any] | None:
    extra = _received(outcome)
    if retry_after is not None:
        extra = {**(extra or {}), "retry_after_s": retry_after}
    return extra


def record_cancelled(
    ctx: TaskContext,
    site: Site,
    url: str,
    method: str,
    attempt: int,
    started_at: str,
    duration_ms: float,
) -> None:
    """The attempt was cancelled in flight: no verdict on the site; emit ``error``."""
    site.breaker.record_abandoned()
    ctx.emit(
        Action.ERROR,
        site=site.key,
        url=url,
        method=method,
        attempt=attempt,
        started_at=started_at,
        duration_ms=duration_ms,
        error_type=ErrorType.CANCELLED,
        error_stage=ErrorStage.REQUEST,
        error_message="request cancelled",
    )


def record_retrying(
    ctx: TaskContext,
    site_key: str,
    url: str,
    method: str,
    attempt: int,
    error_type: ErrorType,
    delay: float,
) -> None:
    """Another attempt follows in ``delay`` seconds: emit ``retrying``."""
    ctx.emit(
        Action.RETRYING,
        site=site_key,
        url=url,
        method=method,
        attempt=attempt,
        error_type=error_type,
        extra={"delay_s": round(delay, 3)},
    )


# -- 4. delay -----------------------------------------------------------------------------


def retry_delay(
    policy: SitePolicy,
    attempt: int,
    error_type: ErrorType,
    status: int | None,
    held: float | None,
    rng: random.Random,
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None if there is none.

    ``held`` is the site hold a 429's ``Retry-After`` set (``record_failure``); without
    one the wait is ``backoff_delay`` (exponential, with jitter from ``rng``).
    """
    if attempt >= policy.max_attempts or not is_retryable(policy, error_type, status):
        return None
    if held is not None:
        return held
    return backoff_delay(policy, attempt, rng)


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", errors="replace").strip()
    return " ".join(text.split()) or "(empty body)"
