"""Server-Sent Events: one run's stream and the whole installation's (docs/api.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from sse_starlette import EventSourceResponse
from sse_starlette.sse import SendTimeoutError
from starlette.types import Message as AsgiMessage
from starlette.types import Receive, Scope, Send

from crawlscope.api.auth import Principal, Role, require
from crawlscope.api.errors import ApiError
from crawlscope.api.live import (
    MAX_SEQ,
    LiveFeeds,
    Message,
    UnknownRun,
    live_feeds,
    parse_position,
)
from crawlscope.api.services import get_services
from crawlscope.api.stream_registry import Credential, StreamRegistry, credential_of

__all__ = ["render_auth_end", "render_sse", "router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["streams"])
FeedsDep = Annotated[LiveFeeds, Depends(live_feeds)]
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
LastEventId = Annotated[
    str | None,
    Header(
        description="Resume after this seq (`N`, or `RUN:N` on /api/stream); wins over "
        "`after_seq`. Browsers send it when EventSource reconnects."
    ),
]

_EVENT_LINES = {
    kind: f"event: {kind}\ndata: ".encode()
    for kind in ("activity", "state", "gap", "end", "system")
}
_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A text/event-stream; see docs/api.md, Live streams.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    400: {"description": "bad Last-Event-ID or after_seq"},
    404: {"description": "no such run"},
}


def render_sse(messages: Iterable[Message]) -> bytes:
    """Messages as SSE events, one write. msgspec JSON holds no raw newline, so each
    body fits one ``data:`` line."""
    parts: list[bytes] = []
    for message in messages:
        if message.id is not None:
            parts.append(f"id: {message.id}\n".encode())
        parts.append(_EVENT_LINES[message.kind])
        parts.append(message.data)
        parts.append(b"\n\n")
    return b"".join(parts)


async def _body(feed: AsyncGenerator[list[Message], None]) -> AsyncIterator[bytes]:
    # aclosing: the feed's cleanup (unsubscribing) runs as soon as the response ends, not
    # whenever the garbage collector finalises an abandoned generator.
    async with contextlib.aclosing(feed):
        async for chunk in feed:
            if chunk:
                yield render_sse(chunk)


def render_auth_end(reason: str) -> bytes:
    """The last event of a stream whose credentials stopped being valid (no ``id``, so a
    client's resume point is untouched)."""
    body = {"error": {"code": "unauthorized", "message": reason}}
    return b"event: auth\ndata: " + json.dumps(body).encode() + b"\n\n"


class _EventStream(EventSourceResponse):
    """An SSE response that ends quietly when its client stopped reading entirely, and with
    a final ``auth`` event when its credentials stop being valid (``stream_registry``)."""

    registry: StreamRegistry | None = None
    credential: Credential | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.registry is None or self.credential is None:
            await self._serve(scope, receive, send)
            return
        sent = _SendTracker(send)
        with self.registry.track(self.credential) as watch:
            serving = asyncio.create_task(self._serve(scope, receive, sent))
            try:
                either: set[asyncio.Future[Any]] = {serving, watch.ended}
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not serving.done():
                    serving.cancel()
                    # Cancelling ends the feed (its ``aclosing``) before anything else is sent.
                    await asyncio.gather(serving, return_exceptions=True)
        if not watch.ended.done() or sent.completed:
            serving.result()  # the stream ended by itself: re-raise what it raised, if anything
            return
        log.info("ended a stream: %s", watch.ended.result())
        await self._farewell(sent, render_auth_end(watch.ended.result()))

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            log.info("closed a stream whose client accepted nothing for %ss", self.send_timeout)

    async def _farewell(self, sent: _SendTracker, body: bytes) -> None:
        """Send ``body`` as the stream's last bytes and complete the response."""
        messages: list[AsgiMessage] = []
        if not sent.started:
            messages.append(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
        messages.append({"type": "http.response.body", "body": body, "more_body": True})
        messages.append({"type": "http.response.body", "body": b"", "more_body": False})
        # A client that went away or stopped reading simply does not get the goodbye.
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(self.send_timeout):
                for message in messages:
                    await sent(message)


class _SendTracker:
    """An ASGI ``send`` that remembers whether the response started and completed."""

    __slots__ = ("completed", "send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False
        self.completed = False

    async def __call__(self, message: AsgiMessage) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        elif not message.get("more_body", False):
            self.completed = True
        await self.send(message)


def _stream(
    feeds: LiveFeeds,
    feed: AsyncGenerator[list[Message], None],
    request: Request,
    principal: Principal,
) -> _EventStream:
    config = feeds.config
    response = _EventStream(
        _body(feed), ping=config.keepalive, send_timeout=config.send_timeout, sep="\n"
    )
    credential = credential_of(request, principal)
    if credential is not None:
        response.registry = get_services(request).streams
        response.credential = credential
    return response


def _position(last_event_id: str | None, after_seq: int | None, run_id: str | None) -> int | None:
    try:
        return parse_position(last_event_id, after_seq, run_id)
    except ValueError as exc:
        raise ApiError(400, str(exc), field="Last-Event-ID") from exc


@router.get(
    "/api/runs/{run_id}/stream",
    response_class=EventSourceResponse,
    responses=_STREAM_DOC,
    summary="Live stream of one run (SSE)",
)
async def run_stream(
    run_id: str,
    request: Request,
    feeds: FeedsDep,
    principal: Viewer,
    after_seq: Annotated[
        int | None, Query(ge=0, le=MAX_SEQ, description="Replay events after this seq")
    ] = None,
    last_event_id: LastEventId = None,
) -> EventSourceResponse:
    """`activity` (id = seq), `state` (at most 4/s and on connect), `gap`, then final
    `state` and `end` when the run ends. Without a position the stream starts live."""
    position = _position(last_event_id, after_seq, run_id)
    try:
        await feeds.check_run(run_id)
    except UnknownRun as exc:
        raise ApiError(404, str(exc), field="run_id") from exc
    return _stream(feeds, feeds.run_feed(run_id, position), request, principal)


@router.get(
    "/api/stream",
    response_class=EventSourceResponse,
    responses=_STREAM_DOC,
    summary="Live stream of the whole installation (SSE)",
)
async def installation_stream(
    request: Request,
    feeds: FeedsDep,
    principal: Viewer,
    run_id: Annotated[str | None, Query(description="The focused run (ids `RUN:seq`)")] = None,
    after_seq: Annotated[
        int | None, Query(ge=0, le=MAX_SEQ, description="Focused run: replay after")
    ] = None,
    last_event_id: LastEventId = None,
) -> EventSourceResponse:
    """Lifecycle events and states of every run, `system` every 5 s, and with `run_id`
    everything of that run as its own stream sends it (the stream stays open after its
    `end`)."""
    position = _position(last_event_id, after_seq, run_id) if run_id else None
    if run_id:
        try:
            await feeds.check_run(run_id)
        except UnknownRun as exc:
            raise ApiError(404, str(exc), field="run_id") from exc
    return _stream(feeds, feeds.installation_feed(run_id, position), request, principal)
