"""Instrumenting an existing ``httpx.AsyncClient`` or ``aiohttp.ClientSession``.

* httpx: every request of a client goes through ``AsyncClient.send`` (``get``, ``post``,
  ``request``, ``stream``); the client's ``send`` is replaced, on that one instance, by
  one that reports around the original. Redirects followed inside it are one request; its
  duration is until the response is read (until the headers for ``stream``).
* aiohttp: a ``TraceConfig`` (aiohttp's own tracing hooks) is added to the session's
  ``trace_configs``: ``on_request_start``, ``on_request_end`` (the headers are in, the
  body not yet read), ``on_request_exception``.

Neither library is imported unless a client of it is wrapped.
"""

from __future__ import annotations

import asyncio
import types
from typing import TYPE_CHECKING, Any, TypeVar

from crawlscope.events import ErrorType

if TYPE_CHECKING:
    from crawlscope.integrations.track import Attempt, TrackedRun

__all__ = ["aiohttp_error", "httpx_error", "instrument"]

ClientT = TypeVar("ClientT")
_WRAPPED = "_crawlscope_run"


def instrument(run: TrackedRun, client: ClientT) -> ClientT:
    """``client`` reporting to ``run`` (the same object); TypeError for other objects."""
    module = type(client).__module__.split(".", 1)[0]
    if getattr(client, _WRAPPED, None) is run:
        return client
    if module == "httpx":
        _instrument_httpx(run, client)
    elif module == "aiohttp":
        _instrument_aiohttp(run, client)
    else:
        raise TypeError(
            f"wrap() takes an httpx.AsyncClient or an aiohttp.ClientSession, "
            f"got {type(client).__name__}"
        )
    setattr(client, _WRAPPED, run)
    return client


# -- httpx ----------------------------------------------------------------------------------


def httpx_error(exc: BaseException) -> ErrorType:
    """The error type of an exception from ``httpx``: timeouts, transport errors
    (connect, read, protocol) as ``connection``, anything else ``handler_error``."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return ErrorType.TIMEOUT
    if isinstance(exc, httpx.TransportError):
        return ErrorType.CONNECTION
    return ErrorType.HANDLER_ERROR


def _instrument_httpx(run: TrackedRun, client: Any) -> None:
    import httpx

    if not isinstance(client, httpx.AsyncClient):
        raise TypeError(f"wrap() takes an httpx.AsyncClient, got {type(client).__name__}")
    original = client.send

    async def send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> Any:
        attempt = await run.sending(request.method, str(request.url))
        try:
            response = await original(request, **kwargs)
        except asyncio.CancelledError as exc:
            run.failed(attempt, ErrorType.CANCELLED, exc)
            raise
        except Exception as exc:
            run.failed(attempt, httpx_error(exc), exc)
            raise
        run.answered(attempt, response.status_code)
        return response

    client.send = types.MethodType(send, client)  # type: ignore[method-assign]


# -- aiohttp --------------------------------------------------------------------------------


def aiohttp_error(exc: BaseException) -> ErrorType:
    """The error type of an exception from ``aiohttp``: timeouts (its own and asyncio's)
    as ``timeout``, client connection and payload errors as ``connection``, anything else
    ``handler_error``."""
    import aiohttp

    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return ErrorType.TIMEOUT
    if isinstance(exc, asyncio.CancelledError):
        return ErrorType.CANCELLED
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | OSError):
        return ErrorType.CONNECTION
    return ErrorType.HANDLER_ERROR


def _instrument_aiohttp(run: TrackedRun, session: Any) -> None:
    import aiohttp

    if not isinstance(session, aiohttp.ClientSession):
        raise TypeError(f"wrap() takes an aiohttp.ClientSession, got {type(session).__name__}")

    async def on_start(
        _session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        context.crawlscope = await run.sending(params.method, str(params.url))

    async def on_end(
        _session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        attempt: Attempt | None = getattr(context, "crawlscope", None)
        if attempt is not None:
            run.answered(attempt, params.response.status)

    async def on_exception(
        _session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        attempt: Attempt | None = getattr(context, "crawlscope", None)
        if attempt is not None:
            run.failed(attempt, aiohttp_error(params.exception), params.exception)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    trace.freeze()
    session.trace_configs.append(trace)
