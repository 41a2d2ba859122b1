"""WebSocket twins of the SSE streams: ``/ws/runs/{id}`` and ``/ws/system`` (docs/api.md).

Each message is JSON text ``{"type": ..., "data": ...}``. Auth is checked before the socket
is accepted (close 4401/4403); a bad ``after_seq`` closes with 4400 and an unknown run with
4404, after accepting, so a browser can read the code. A socket whose credentials stop
being valid later (token revoked, session ended or expired: ``stream_registry``) is closed
with 4401 and the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from crawlscope.api.auth import WS_UNAUTHORIZED, Principal, Role, authenticate_websocket
from crawlscope.api.live import LiveFeeds, Message, UnknownRun, live_feeds, parse_position
from crawlscope.api.services import get_services
from crawlscope.api.stream_registry import StreamWatch, credential_of

__all__ = ["render_ws", "router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["streams"])
FeedsDep = Annotated[LiveFeeds, Depends(live_feeds)]

WS_BAD_REQUEST = 4400
WS_NOT_FOUND = 4404
_PREFIX = {
    kind: f'{{"type":"{kind}","data":'.encode()
    for kind in ("activity", "state", "gap", "end", "system")
}


def render_ws(message: Message) -> str:
    """One message as the JSON text frame ``{"type", "data"}``."""
    return (_PREFIX[message.kind] + message.data + b"}").decode()


def _reason(text: str) -> str:
    # Close reasons are limited to 123 bytes by the protocol.
    return text.encode()[:123].decode(errors="ignore")


async def _refuse(ws: WebSocket, code: int, reason: str) -> None:
    if ws.client_state == WebSocketState.CONNECTING:
        await ws.accept()
    await ws.close(code=code, reason=_reason(reason))


async def _open(
    ws: WebSocket, feeds: LiveFeeds, run_id: str | None
) -> tuple[Principal | None, int | None]:
    """Authenticate, check the position and the run, accept: ``(principal, position)``;
    the principal is None when the socket was refused (and closed)."""
    principal = await authenticate_websocket(ws, Role.VIEWER)
    if principal is None:
        return None, None
    raw = ws.query_params.get("after_seq")
    try:
        after_seq = int(raw) if raw not in (None, "") else None
        position = parse_position(None, after_seq, run_id)
    except ValueError:
        await _refuse(ws, WS_BAD_REQUEST, f"after_seq must be an integer >= 0, got {raw!r}")
        return None, None
    if run_id is not None:
        try:
            await feeds.check_run(run_id)
        except UnknownRun as exc:
            await _refuse(ws, WS_NOT_FOUND, str(exc))
            return None, None
    await ws.accept()
    return principal, position


async def _send_all(ws: WebSocket, feed: AsyncGenerator[list[Message], None]) -> None:
    async with contextlib.aclosing(feed):
        async for chunk in feed:
            for message in chunk:
                await ws.send_text(render_ws(message))


async def _until_disconnect(ws: WebSocket) -> None:
    # Reading is what notices a closed socket while nothing is being sent.
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass


async def _pump(
    ws: WebSocket, feed: AsyncGenerator[list[Message], None], watch: StreamWatch | None
) -> None:
    """Send the feed until it ends (then close normally), the client goes away, or the
    watch says the credentials are no longer valid (then close with 4401)."""
    sender = asyncio.create_task(_send_all(ws, feed))
    reader = asyncio.create_task(_until_disconnect(ws))
    waits: set[asyncio.Future[Any]] = {sender, reader}
    if watch is not None:
        waits.add(watch.ended)
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, reader):
            task.cancel()
        results = await asyncio.gather(sender, reader, return_exceptions=True)
    error = results[0]
    if watch is not None and watch.ended in done and sender not in done:
        log.info("ended a stream: %s", watch.ended.result())
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.close(code=WS_UNAUTHORIZED, reason=_reason(watch.ended.result()))
    elif sender in done and error is None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.close(code=1000)
    elif isinstance(error, Exception) and not isinstance(
        error, WebSocketDisconnect | OSError | RuntimeError
    ):
        log.error("websocket stream failed", exc_info=error)


async def _serve(
    ws: WebSocket, principal: Principal, feed: AsyncGenerator[list[Message], None]
) -> None:
    """Pump the feed, registered under the caller's credentials while it runs."""
    credential = credential_of(ws, principal)
    if credential is None:  # authentication off
        await _pump(ws, feed, None)
        return
    with get_services(ws).streams.track(credential) as watch:
        await _pump(ws, feed, watch)


@router.websocket("/ws/runs/{run_id}")
async def ws_run(ws: WebSocket, run_id: str, feeds: FeedsDep) -> None:
    """One run's stream; ``?after_seq=N`` resumes. Closes (1000) after ``end``."""
    principal, position = await _open(ws, feeds, run_id)
    if principal is not None:
        await _serve(ws, principal, feeds.run_feed(run_id, position))


@router.websocket("/ws/system")
async def ws_system(ws: WebSocket, feeds: FeedsDep) -> None:
    """The installation stream; ``?run_id=X&after_seq=N`` focuses (and resumes) run X."""
    focus = ws.query_params.get("run_id") or None
    principal, position = await _open(ws, feeds, focus)
    if principal is not None:
        await _serve(ws, principal, feeds.installation_feed(focus, position))
