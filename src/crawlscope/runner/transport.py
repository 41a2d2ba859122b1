"""The seam between the runner's request path and an HTTP library.

A ``Transport`` has one job: send one HTTP request and return one ``Outcome``, either an
answer (status, headers, body, duration) or a failure the runner knows how to treat
(``timeout`` or ``connection``) with its message. Everything around it (site gates,
events, the breaker, retries) is the runner's and the same for every transport
(``crawlscope.runner.request_path``). The protocol names no library's types, so httpx or
Scrapy can sit behind it as aiohttp does (``crawlscope.runner.aiohttp_transport``).

Rules for an implementation:

* Any HTTP status is an answer, never an exception: classifying 4xx/5xx/429 is the
  runner's business. Redirects are followed.
* A request that got no complete answer within ``timeout`` seconds (connect, send, read
  the whole body) is ``Outcome.failed(TIMEOUT, ...)``; one that failed at the connection
  or protocol level (refused, reset, invalid response) is ``Outcome.failed(CONNECTION,
  ...)``. Other exceptions (a bug, a body that cannot be encoded) propagate.
* Cancellation is never swallowed: a cancelled ``send`` raises ``asyncio.CancelledError``
  and the request path records the attempt as ``cancelled``.
* ``headers`` of an answer must look names up case-insensitively (``Retry-After``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from crawlscope.events import ErrorType

__all__ = ["CONNECTION", "TIMEOUT", "Outcome", "Transport", "timeout_message"]

# The failures a transport reports, bound once (an enum class lookup is slow in 3.11).
TIMEOUT = ErrorType.TIMEOUT
CONNECTION = ErrorType.CONNECTION

_NO_HEADERS: Mapping[str, str] = {}


class Outcome:
    """What one request came to: an answer, or a classified failure.

    An answer has ``status`` set and ``error_type`` None; a failure has ``status`` None,
    ``error_type`` ``TIMEOUT`` or ``CONNECTION``, an empty body and a ``message``.
    ``duration_ms`` is the time from handing the request over to the outcome.
    """

    __slots__ = ("body", "duration_ms", "error_type", "headers", "message", "status")

    def __init__(
        self,
        status: int | None,
        headers: Mapping[str, str],
        body: bytes,
        duration_ms: float,
        error_type: ErrorType | None = None,
        message: str = "",
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.duration_ms = duration_ms
        self.error_type = error_type
        self.message = message

    @classmethod
    def failed(cls, error_type: ErrorType, message: str, duration_ms: float) -> Outcome:
        """A request without an answer (``TIMEOUT`` or ``CONNECTION``)."""
        return cls(None, _NO_HEADERS, b"", duration_ms, error_type, message)

    def __repr__(self) -> str:
        if self.status is None:
            return f"Outcome.failed({self.error_type!s}, {self.message!r})"
        return f"Outcome({self.status}, {len(self.body)} bytes, {self.duration_ms} ms)"


def timeout_message(seconds: float) -> str:
    """The message of a ``TIMEOUT`` outcome, the same for every transport."""
    return f"no complete response within {seconds:g}s"


class Transport(Protocol):
    """Sends HTTP requests for a run; shared by all of its workers."""

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
        """Send one request (``params`` are added to ``url``'s query); see the module rules.

        ``proxy`` (an http(s) proxy URL) is passed only for sites whose policy sets one.
        """

    async def close(self) -> None:
        """Release connections; the transport is not used afterwards."""
