"""The default ``Transport``: one ``aiohttp.ClientSession`` shared by a run's workers.

aiohttp because, against a local server, it costs about a sixth of httpx's client CPU per
request, which matters when the runner itself must stay cheap (bench/crawl_throughput.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import partial
from typing import Any

import aiohttp

from crawlscope.runner.transport import CONNECTION, TIMEOUT, Outcome, timeout_message

__all__ = ["AiohttpTransport"]

# ``ClientTimeout`` is a frozen value: one per timeout, not one per request.
_timeouts: dict[float, aiohttp.ClientTimeout] = {}
_MAX_CACHED = 4096
_perf_counter = time.perf_counter


def _client_timeout(total: float) -> aiohttp.ClientTimeout:
    timeout = _timeouts.get(total)
    if timeout is None:
        if len(_timeouts) >= _MAX_CACHED:
            _timeouts.clear()
        timeout = _timeouts[total] = aiohttp.ClientTimeout(total=total)
    return timeout


class AiohttpTransport:
    """Requests through aiohttp, without connection limits (the runner's sites limit them).

    With no ``session`` given, it opens its own on first use (inside the running event
    loop, as aiohttp wants) and closes it in ``close()``; a given session is used as is
    and left open.
    """

    __slots__ = ("_owned", "_session")

    def __init__(self, session: aiohttp.ClientSession | None = None) -> None:
        self._session = session
        self._owned = session is None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(connector=connector, raise_for_status=False)
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json: Any,
        data: Any,
        timeout: float,
        proxy: str | None = None,
    ) -> Outcome:
        """One request, its body read whole; see ``crawlscope.runner.transport``."""
        session = self._session
        if session is None:
            session = self._open()
        # The proxy goes in only when a site policy sets one: one keyword less for aiohttp
        # to handle on every other request.
        request = session.request if proxy is None else partial(session.request, proxy=proxy)
        t0 = _perf_counter()
        try:
            async with request(
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                data=data,
                timeout=_client_timeout(timeout),
                allow_redirects=True,
            ) as resp:
                body = await resp.read()
                return Outcome(resp.status, resp.headers, body, _ms_since(t0))
        # ``asyncio.CancelledError`` is not caught: cancellation propagates, and the request
        # path records the attempt as cancelled (see the protocol's rules).
        except TimeoutError:
            return Outcome.failed(TIMEOUT, timeout_message(timeout), _ms_since(t0))
        except aiohttp.ClientError as exc:
            return Outcome.failed(CONNECTION, f"{type(exc).__name__}: {exc}", _ms_since(t0))

    async def close(self) -> None:
        """Close the session this transport opened (a given one stays open)."""
        session = self._session
        if session is not None and self._owned:
            self._session = None
            await session.close()


def _ms_since(t0: float) -> float:
    return round((_perf_counter() - t0) * 1000, 2)
