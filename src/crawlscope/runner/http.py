"""The instrumented HTTP client collector code uses (``ctx.http``).

Every attempt emits ``fetching`` and then exactly one of ``found`` / ``error`` /
``rate_limited``; a retry is announced by ``retrying`` with the delay. Site policies
(breaker, Retry-After holds, concurrency and rate limits) are applied around every attempt.
``HttpClient.request`` is a loop over the four steps of ``crawlscope.runner.request_path``
(acquire, attempt, record, delay); the request itself goes through the run's
``Transport`` (aiohttp unless the run was given another).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Collection, Coroutine, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from crawlscope.runner.errors import RequestFailed
from crawlscope.runner.request_path import (
    acquire,
    classify,
    failure_message,
    record_cancelled,
    record_failure,
    record_fetching,
    record_found,
    record_retrying,
    retry_delay,
)
from crawlscope.runner.response import Response
from crawlscope.runner.robots import check_robots
from crawlscope.runner.site import Site, site_of
from crawlscope.runner.transport import Outcome

if TYPE_CHECKING:
    from crawlscope.runner.context import TaskContext

__all__ = ["HttpClient", "Response"]

_perf_counter = time.perf_counter

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


_CLIENT_ERRORS = frozenset(range(400, 500))


def _full_url(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"


class HttpClient:
    """Requests made on behalf of one task; see the module docstring for the events."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: TaskContext) -> None:
        self._ctx = ctx

    # ``get`` and ``post`` hand back ``request``'s coroutine instead of awaiting it in one of
    # their own: one coroutine less per request, and ``await ctx.http.get(url)`` reads the same.
    def get(self, url: str, **kwargs: Any) -> Coroutine[Any, Any, Response]:
        """``GET url``; see ``request`` for the options."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Coroutine[Any, Any, Response]:
        """``POST url``; see ``request`` for the options."""
        return self.request("POST", url, **kwargs)

    async def fetch_json(self, url: str, **kwargs: Any) -> Any:
        """``GET url`` and decode JSON (a ``ParseError`` if the body is not JSON)."""
        return (await self.request("GET", url, **kwargs)).json()

    def fetch_robots(self, url: str) -> Coroutine[Any, Any, Response]:
        """``GET`` a robots.txt: any 4xx is an answer (no rules), not a failure."""
        return self.request("GET", url, allow_status=_CLIENT_ERRORS)

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
        returned instead of raised. ``timeout`` (seconds for one whole attempt) defaults to
        the site policy's.
        """
        ctx = self._ctx
        scope = ctx.scope
        control = scope.control
        send = scope.transport.send
        site = scope.sites.get(_site_key(url))
        site_key = site.key
        policy = site.policy
        full_url = _full_url(url, params)
        if policy.adjusts:
            # Headers, a user agent, a proxy or robots.txt: only sites that ask pay for it.
            send, headers = await _adjust(ctx, site, full_url, send, headers)
        params_dict = dict(params) if params else None
        seconds = timeout or policy.timeout
        attempt = 0
        while True:
            attempt += 1
            # 1. acquire: pause gate, site gate, a slot; no coroutine when nothing is in the way.
            if control.paused or not site.try_enter():
                await acquire(ctx, site, full_url, method)
            # 2. attempt: one request through the transport, one outcome, classified.
            started_at = record_fetching(ctx, site_key, full_url, method, params_dict, attempt)
            t0 = _perf_counter()
            try:
                outcome = await send(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=json,
                    data=data,
                    timeout=seconds,
                )
            except asyncio.CancelledError:
                site.release()
                record_cancelled(ctx, site, full_url, method, attempt, started_at, _ms_since(t0))
                raise
            except BaseException:
                # Not an outcome (a bug, an unencodable body): no verdict on the site either.
                site.release()
                site.breaker.record_abandoned()
                raise
            site.release()
            error_type = classify(outcome, allow_status)
            status = outcome.status
            # 3. record: the events and the breaker's bookkeeping.
            if error_type is None:
                assert status is not None  # a transport failure never classifies as success
                record_found(ctx, site, full_url, method, outcome, attempt)
                response = ctx.response = Response(
                    status, outcome.headers, full_url, outcome.body, outcome.duration_ms
                )
                return response
            message = failure_message(outcome)
            held = record_failure(
                ctx, site, full_url, method, outcome, error_type, message, attempt
            )
            # 4. delay: another attempt, and when.
            delay = retry_delay(policy, attempt, error_type, status, held, scope.rng)
            if delay is None:
                raise RequestFailed(
                    message,
                    error_type=error_type,
                    url=full_url,
                    status_code=status,
                    attempts=attempt,
                )
            record_retrying(ctx, site_key, full_url, method, attempt, error_type, delay)
            await asyncio.sleep(delay)


async def _adjust(
    ctx: TaskContext,
    site: Site,
    url: str,
    send: Callable[..., Coroutine[Any, Any, Outcome]],
    headers: Mapping[str, str] | None,
) -> tuple[Callable[..., Coroutine[Any, Any, Outcome]], Mapping[str, str] | None]:
    """Apply the site policy's robots.txt rules (raising ``RobotsDisallowed``), headers,
    user agent and proxy to one request: the ``send`` and headers to use."""
    policy = site.policy
    if policy.respect_robots:
        await check_robots(ctx, site, url, HttpClient(ctx).fetch_robots)
    extra = policy.request_headers
    if extra is not None:
        if headers:
            # The request's own headers win, whatever their case.
            own = {name.lower() for name in headers}
            headers = {
                **{k: v for k, v in extra.items() if k.lower() not in own},
                **headers,
            }
        else:
            headers = extra
    if policy.proxy is not None:
        send = functools.partial(send, proxy=policy.proxy)
    return send, headers


def _ms_since(t0: float) -> float:
    return round((_perf_counter() - t0) * 1000, 2)
