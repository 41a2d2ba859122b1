"""The instrumented HTTP client collector code uses (``ctx.http``).

Requests go through the run's ``Transport`` (``crawlscope.runner.transport``; aiohttp
unless the run was given another). Every attempt emits
``fetching`` and then exactly one of ``found`` / ``error`` / ``rate_limited``; a retry is
announced by ``retrying`` with the delay. Site policies (breaker, Retry-After holds,
concurrency and rate limits) are applied around every attempt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import msgspec

from crawlscope.events import (
    Action,
    ActivityEvent,
    ErrorStage,
    ErrorType,
    truncate_message,
    utc_now_iso,
)
from crawlscope.runner.errors import ParseError, RequestFailed
from crawlscope.runner.policy import (
    backoff_delay,
    classify_status,
    is_retryable,
    parse_retry_after,
)
from crawlscope.runner.site import site_of

if TYPE_CHECKING:
    from crawlscope.runner.context import TaskContext

__all__ = ["HttpClient", "Response"]

_json_decode = msgspec.json.decode
# Failures that say the site is unhealthy (and count towards its breaker).
_UNHEALTHY = frozenset({ErrorType.TIMEOUT, ErrorType.CONNECTION, ErrorType.HTTP_5XX})
# Bound once: in Python 3.11 looking a member up on an enum class costs about 0.07 µs
# (``EnumType.__getattr__``'s slow path), and every request builds these two events.
_FETCHING = Action.FETCHING
_FOUND = Action.FOUND

# Per-request costs that add up at thousands of pages a second (bench/crawl_throughput.py):
# ``urlsplit`` of a URL never seen before costs microseconds, and crawls rarely repeat a URL
# but repeat its ``scheme://host:port`` all the time.
_site_keys: dict[str, str] = {}
_MAX_CACHED = 4096


def _site_key(url: str) -> str:
    """``site_of(url)``, cached by the part of ``url`` before the path.

    Only for ``http://`` and ``https://`` URLs whose path starts with ``/``: there the
    netloc ``urlsplit`` finds in the prefix is the one it finds in the whole URL (the
    prefix keeps every delimiter before the path; a prefix ending in whitespace, which
    ``urlsplit`` would strip, is not cached). Anything else goes to ``site_of`` directly.
    """
    if url.startswith(("http://", "https://")):
        end = url.find("/", 8)
        if end > 0 and url[end - 1] > " ":
            prefix = url[:end]
            key = _site_keys.get(prefix)
            if key is None:
                if len(_site_keys) >= _MAX_CACHED:
                    _site_keys.clear()
                key = _site_keys[prefix] = site_of(prefix)
            return key
    return site_of(url)


class Response:
    """A fully read response. ``text()`` and ``json()`` decode the body on demand."""

    __slots__ = ("body", "duration_ms", "headers", "status", "url")

    def __init__(
        self, status: int, headers: Mapping[str, str], url: str, body: bytes, duration_ms: float
    ) -> None:
        self.status = status
        self.headers = headers
        self.url = url
        self.body = body
        self.duration_ms = duration_ms

    def text(self, encoding: str = "utf-8") -> str:
        """The body as text; undecodable bytes are replaced rather than raising."""
        return self.body.decode(encoding, errors="replace")

    def json(self) -> Any:
        """The body as JSON; a ``ParseError`` (stage ``extraction``) if it is not JSON."""
        try:
            return _json_decode(self.body)
        except msgspec.DecodeError as exc:
            raise ParseError(f"invalid JSON from {self.url}: {exc}") from exc


def _full_url(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"


class HttpClient:
    """Requests made on behalf of one task; see the module docstring for the events."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: TaskContext) -> None:
        self._ctx = ctx

    async def get(self, url: str, **kwargs: Any) -> Response:
        """``GET url``; see ``request`` for the options."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Response:
        """``POST url``; see ``request`` for the options."""
        return await self.request("POST", url, **kwargs)

    async def fetch_json(self, url: str, **kwargs: Any) -> Any:
        """``GET url`` and decode JSON (a ``ParseError`` if the body is not JSON)."""
        return (await self.request("GET", url, **kwargs)).json()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        allow_status: Collection[int] = (),
        timeout: float | None = None,
    ) -> Response:
        """Send a request with retries; return the response or raise ``RequestFailed``.

        A status in ``allow_status`` (say 404 for "no such page") counts as success and is
        returned instead of raised.
        """
        ctx = self._ctx
        scope = ctx.scope
        site = scope.sites.get(_site_key(url))
        policy = site.policy
        full_url = _full_url(url, params)
        params_dict = dict(params) if params else None
        seconds = timeout or policy.timeout
        transport = scope.transport
        attempt = 0
        while True:
            attempt += 1
            control = scope.control
            if control.paused:  # the common case skips creating a coroutine
                await control.wait_running()
            await site.acquire()
            while control.paused:
                # Paused while this request waited for the site (open breaker, Retry-After
                # hold): it has not started, so it gives its slot back and waits for resume.
                site.release()
                site.breaker.record_abandoned()
                await control.wait_running()
                await site.acquire()
            started_at = utc_now_iso()
            # The two events of every successful request are built here rather than through
            # ``ctx.emit(action, **fields)``, whose double keyword packing costs about a
            # third of the event (same fields, same labels as ``TaskContext.emit``).
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
                    site=site.key,
                    url=full_url,
                    method=method,
                    params=params_dict,
                    attempt=attempt,
                    started_at=started_at,
                )
            )
            t0 = time.perf_counter()
            try:
                outcome = await transport.send(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=json,
                    data=data,
                    timeout=seconds,
                )
            except asyncio.CancelledError:
                site.breaker.record_abandoned()
                ctx.emit(
                    Action.ERROR,
                    site=site.key,
                    url=full_url,
                    method=method,
                    attempt=attempt,
                    started_at=started_at,
                    duration_ms=_ms_since(t0),
                    error_type=ErrorType.CANCELLED,
                    error_stage=ErrorStage.REQUEST,
                    error_message="request cancelled",
                )
                raise
            finally:
                site.release()
            status = outcome.status
            resp_headers = outcome.headers
            body = outcome.body
            duration_ms = outcome.duration_ms
            error_type = outcome.error_type
            message = outcome.message

            if status is not None:
                error_type = None if status in allow_status else classify_status(status)
                if error_type is None:
                    site.breaker.record_success()
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
                            url=full_url,
                            method=method,
                            status_code=status,
                            attempt=attempt,
                            duration_ms=duration_ms,
                        )
                    )
                    return Response(status, resp_headers, full_url, body, duration_ms)
                message = f"HTTP {status}: {_snippet(body)}"

            assert error_type is not None
            retry_delay: float | None = None
            if error_type is ErrorType.RATE_LIMIT:
                # A 429 is an answer from a live site: it must settle a half-open probe, or
                # the breaker would wait for that probe's verdict forever.
                site.breaker.record_success()
                retry_after = parse_retry_after(resp_headers.get("Retry-After"), time.time())
                ctx.emit(
                    Action.RATE_LIMITED,
                    site=site.key,
                    url=full_url,
                    method=method,
                    status_code=status,
                    attempt=attempt,
                    duration_ms=duration_ms,
                    error_type=error_type,
                    error_stage=ErrorStage.REQUEST,
                    error_message=truncate_message(message),
                    extra={"retry_after_s": retry_after} if retry_after is not None else None,
                )
                if retry_after is not None:
                    retry_delay = min(retry_after, policy.max_retry_after)
                    site.hold(retry_delay)
            else:
                if error_type in _UNHEALTHY:
                    site.breaker.record_failure()
                else:
                    site.breaker.record_success()  # a 4xx is an answer from a live site
                ctx.emit(
                    Action.ERROR,
                    site=site.key,
                    url=full_url,
                    method=method,
                    status_code=status,
                    attempt=attempt,
                    duration_ms=duration_ms,
                    error_type=error_type,
                    error_stage=ErrorStage.REQUEST,
                    error_message=truncate_message(message),
                )

            if attempt >= policy.max_attempts or not is_retryable(policy, error_type, status):
                raise RequestFailed(
                    message,
                    error_type=error_type,
                    url=full_url,
                    status_code=status,
                    attempts=attempt,
                )
            if retry_delay is None:
                retry_delay = backoff_delay(policy, attempt, scope.rng)
            ctx.emit(
                Action.RETRYING,
                site=site.key,
                url=full_url,
                method=method,
                attempt=attempt,
                error_type=error_type,
                extra={"delay_s": round(retry_delay, 3)},
            )
            await asyncio.sleep(retry_delay)


def _ms_since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", errors="replace").strip()
    return " ".join(text.split()) or "(empty body)"
