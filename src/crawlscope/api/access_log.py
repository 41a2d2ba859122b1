"""The access log: one ``crawlscope.access`` record per HTTP request or WebSocket, when the
request has been answered (``crawlscope serve --access-log``).

Not uvicorn's access log: uvicorn decides whether to log from its ``uvicorn.access``
logger, which every uvicorn server in the process shares, so the demo site served next
to the API (``serve --demo``) would fill it with the crawler's requests. This middleware
sees this app's requests only, and adds how long each took.

The record's message is the usual ``client - "METHOD path HTTP/x" status duration``;
its fields (in ``--log-format json``) are ``client``, ``method``, ``path`` (with the
query string), ``http_version``, ``status`` and ``duration_ms``. A live stream is logged
when it ends, with its whole duration; a WebSocket has method ``WS`` and status 101 once
accepted (403 if refused before).
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog"]

log = logging.getLogger("crawlscope.access")


class AccessLog:
    """Pure ASGI middleware: logs each request once it is answered (or fails)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "websocket.accept":
                status = 101
            elif message["type"] == "websocket.close" and status == 0:
                status = 403
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except BaseException:
            status = status or 500
            raise
        finally:
            _record(scope, status, (time.perf_counter() - started) * 1000)


def _record(scope: Scope, status: int, duration_ms: float) -> None:
    client = scope.get("client")
    where = f"{client[0]}:{client[1]}" if client else "-"
    method = scope.get("method", "WS") if scope["type"] == "http" else "WS"
    path = scope.get("path", "")
    query = scope.get("query_string", b"")
    if query:
        path = f"{path}?{query.decode('latin-1')}"
    version = scope.get("http_version", "1.1")
    log.info(
        '%s - "%s %s HTTP/%s" %d %.1f ms',
        where,
        method,
        path,
        version,
        status,
        duration_ms,
        extra={
            "client": where,
            "method": method,
            "path": path,
            "http_version": version,
            "status": status,
            "duration_ms": round(duration_ms, 1),
        },
    )
