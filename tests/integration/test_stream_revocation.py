"""Lost access ends open live streams: a real server (auth on), real SSE and WebSocket clients.

Streams are opened with a token or a session; then the token is revoked (through the API,
or by ``crawlscope tokens revoke`` against the same database), the session is logged out,
or it expires. Each affected SSE stream must end with one final ``auth`` event, and each
WebSocket must close with 4401 and the reason. Streams of other credentials stay open,
and the server's stream registry drops every stream that closed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse
from typer.testing import CliRunner
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from crawlscope.access import Authenticator, Role
from crawlscope.api import create_app
from crawlscope.api.auth import SESSION_COOKIE, WS_UNAUTHORIZED
from crawlscope.api.stream_registry import LOGGED_OUT, NO_LONGER_VALID, REVOKED
from crawlscope.cli import app as cli_app
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent, utc_now_iso
from crawlscope.serving import serve_in_loop
from crawlscope.store.schema import api_sessions
from crawlscope.store.tokens import TokenRecord

from .conftest import LiveServer

RUN = "watched"
OPEN_TIMEOUT = 10.0
END_TIMEOUT = 5.0
"""How long an affected stream may take to end once access is lost. The tests that act
through this server keep the re-check period at 60 s, so only the immediate path meets it."""


@dataclass
class Reader:
    """One stream read in the background until the server ends it (or the test drops it)."""

    kind: str
    messages: list[Any] = field(default_factory=list)
    """SSE: ``(event, data)`` pairs; WebSocket: decoded JSON messages."""
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    close_reason: str = ""
    task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


_readers: list[Reader] = []
"""Every reader started, so those a failed test left running are dropped before its
server stops (a server waits for open connections when it shuts down)."""


@pytest.fixture
def recheck_s() -> float:
    """The server's credential re-check period (a test that needs a short one overrides it)."""
    return 60.0


@pytest.fixture
async def server(database_url: str, recheck_s: float) -> AsyncIterator[LiveServer]:
    """Auth on, on SQLite and PostgreSQL, with an active run ``RUN`` to stream."""
    settings = Settings(database_url=database_url, auth="on", stream_auth_recheck_s=recheck_s)
    app = create_app(settings)
    async with serve_in_loop(app) as url:
        live = LiveServer(url, app, settings)
        monitor = live.services.monitor
        await monitor.open_run(RUN, "test", {}, None)
        monitor.emit(ActivityEvent(run_id=RUN, action=Action.RUN_STARTED))
        try:
            yield live
        finally:
            await drop(*_readers)
            _readers.clear()


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        yield c


async def _token(server: LiveServer, name: str, role: Role) -> tuple[str, TokenRecord]:
    auth = Authenticator(server.services.store.tokens)
    return await auth.create_token(name, role)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _cookie(browser: httpx.AsyncClient) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={browser.cookies[SESSION_COOKIE]}"}


async def _logged_in(server: LiveServer, token: str) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(base_url=server.url, timeout=30)
    resp = await browser.post("/api/auth/login", json={"token": token})
    assert resp.status_code == 200, resp.text
    return browser


async def _opened(reader: Reader, read: Callable[[], Any]) -> Reader:
    """Start ``read`` and wait for the first message (the server subscribed and registered)."""
    reader.task = asyncio.create_task(read())
    _readers.append(reader)
    waiter = asyncio.create_task(reader.opened.wait())
    try:
        async with asyncio.timeout(OPEN_TIMEOUT):
            await asyncio.wait({reader.task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if not reader.opened.is_set():
        reader.task.result()  # raises what the reader raised
        raise AssertionError(f"the {reader.kind} stream ended before its first message")
    return reader


async def open_sse(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
) -> Reader:
    """An SSE stream read until the server closes it: messages are ``(event, data)``."""
    reader = Reader(f"SSE {path}")

    async def read() -> None:
        async with aconnect_sse(client, "GET", path, headers=headers or {}) as source:
            assert source.response.status_code == 200
            async for sse in source.aiter_sse():
                reader.messages.append((sse.event, sse.data))
                reader.opened.set()

    return await _opened(reader, read)


async def open_ws(server: LiveServer, path: str, headers: dict[str, str]) -> Reader:
    """A WebSocket read until the server closes it (its close code and reason recorded)."""
    reader = Reader(f"WebSocket {path}")
    url = server.url.replace("http://", "ws://", 1) + path

    async def read() -> None:
        async with ws_connect(url, additional_headers=headers, open_timeout=OPEN_TIMEOUT) as ws:
            try:
                async for raw in ws:
                    reader.messages.append(json.loads(raw))
                    reader.opened.set()
            except ConnectionClosed:
                pass
            reader.close_code, reader.close_reason = ws.close_code, ws.close_reason or ""

    return await _opened(reader, read)


async def ended(*readers: Reader) -> None:
    """Every reader's stream was ended by the server within ``END_TIMEOUT``."""
    async with asyncio.timeout(END_TIMEOUT):
        await asyncio.gather(*(r.task for r in readers if r.task is not None))


async def drop(*readers: Reader) -> None:
    """The client goes away."""
    for reader in readers:
        if reader.task is not None:
            reader.task.cancel()
    await asyncio.gather(*(r.task for r in readers if r.task is not None), return_exceptions=True)


def assert_sse_ended(reader: Reader, reason: str) -> None:
    events = [event for event, _ in reader.messages]
    assert events[-1] == "auth", events
    assert events.count("auth") == 1, events
    assert json.loads(reader.messages[-1][1]) == {
        "error": {"code": "unauthorized", "message": reason}
    }


def assert_ws_ended(reader: Reader, reason: str) -> None:
    assert (reader.close_code, reader.close_reason) == (WS_UNAUTHORIZED, reason)


async def settled(probe: Callable[[], int], want: int, within: float = 3.0) -> int:
    """Poll ``probe`` until it equals ``want`` or ``within`` seconds pass; its last value.

    The server drops a stream from its registry when the stream's handler returns, which
    may be a moment after the client saw the end.
    """
    deadline = time.monotonic() + within
    while (value := probe()) != want and time.monotonic() < deadline:  # noqa: ASYNC110 (no event to wait on)
        await asyncio.sleep(0.02)
    return value


async def test_revoking_a_token_through_the_api_ends_its_streams_at_once(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    registry, hub = server.services.streams, server.services.monitor.bus
    admin, _ = await _token(server, "root", Role.ADMIN)
    operator, record = await _token(server, "ci", Role.OPERATOR)
    other, _ = await _token(server, "wallboard", Role.VIEWER)
    browser = await _logged_in(server, operator)
    try:
        doomed = [
            await open_sse(client, f"/api/runs/{RUN}/stream", _bearer(operator)),
            await open_sse(browser, "/api/stream"),  # by the token's session cookie
            await open_ws(server, "/ws/system", _bearer(operator)),
        ]
        kept = [
            await open_sse(client, "/api/stream", _bearer(other)),
            await open_ws(server, f"/ws/runs/{RUN}", _bearer(other)),
        ]
        assert len(registry) == 5

        resp = await client.delete(f"/api/tokens/{record.id}", headers=_bearer(admin))
        assert resp.status_code == 200, resp.text
        assert resp.json()["sessions_ended"] == 1

        await ended(*doomed)  # well within END_TIMEOUT, though the re-check period is 60 s
        assert_sse_ended(doomed[0], REVOKED)
        assert_sse_ended(doomed[1], REVOKED)
        assert_ws_ended(doomed[2], REVOKED)
        assert all(reader.running for reader in kept)
        assert await settled(lambda: len(registry), 2) == 2

        # A reconnect with the revoked token is refused as any request is.
        async with client.stream(
            "GET", f"/api/runs/{RUN}/stream", headers=_bearer(operator)
        ) as again:
            assert again.status_code == 401

        await drop(*kept)
        assert await settled(lambda: len(registry), 0) == 0
        assert await settled(hub.subscriber_count, 0) == 0
    finally:
        await browser.aclose()


async def test_logout_ends_only_that_sessions_streams(server: LiveServer) -> None:
    registry = server.services.streams
    viewer, _ = await _token(server, "dashboard", Role.VIEWER)
    first, second = await _logged_in(server, viewer), await _logged_in(server, viewer)
    try:
        doomed = [
            await open_sse(first, f"/api/stream?run_id={RUN}"),
            await open_ws(server, f"/ws/runs/{RUN}", _cookie(first)),
        ]
        kept = await open_sse(second, f"/api/runs/{RUN}/stream")  # another session, same token
        assert len(registry) == 3

        assert (await first.post("/api/auth/logout")).status_code == 204
        await ended(*doomed)
        assert_sse_ended(doomed[0], LOGGED_OUT)
        assert_ws_ended(doomed[1], LOGGED_OUT)
        assert kept.running
        assert await settled(lambda: len(registry), 1) == 1

        await drop(kept)
        assert await settled(lambda: len(registry), 0) == 0
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.parametrize("recheck_s", [0.2])
async def test_revoked_by_the_cli_or_expired_ends_within_the_recheck_period(
    server: LiveServer, client: httpx.AsyncClient, recheck_s: float
) -> None:
    registry = server.services.streams
    operator, record = await _token(server, "ci", Role.OPERATOR)
    expiring, expiring_record = await _token(server, "kiosk", Role.VIEWER)
    other, _ = await _token(server, "wallboard", Role.VIEWER)
    kiosk = await _logged_in(server, expiring)
    try:
        revoked = [
            await open_sse(client, f"/api/runs/{RUN}/stream", _bearer(operator)),
            await open_ws(server, f"/ws/runs/{RUN}", _bearer(operator)),
        ]
        expired = [
            await open_sse(kiosk, "/api/stream"),
            await open_ws(server, "/ws/system", _cookie(kiosk)),
        ]
        kept = await open_sse(client, "/api/stream", _bearer(other))
        assert len(registry) == 5

        # As an operator would from a shell: another process, the same database.
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli_app,
            ["tokens", "revoke", str(record.id), "--db", server.settings.database_url],
        )
        assert result.exit_code == 0, result.output
        # The kiosk's session runs out (its token stays valid).
        async with server.services.store.database.begin() as conn:
            await conn.execute(
                api_sessions.update()
                .where(api_sessions.c.token_id == expiring_record.id)
                .values(expires_at=utc_now_iso(time.time() - 1))
            )

        await ended(*revoked, *expired)  # a few re-check periods at most
        assert_sse_ended(revoked[0], NO_LONGER_VALID)
        assert_ws_ended(revoked[1], NO_LONGER_VALID)
        assert_sse_ended(expired[0], NO_LONGER_VALID)
        assert_ws_ended(expired[1], NO_LONGER_VALID)
        assert kept.running
        assert await settled(lambda: len(registry), 1) == 1

        await drop(kept)
        assert await settled(lambda: len(registry), 0) == 0
    finally:
        await kiosk.aclose()


async def test_streams_without_authentication_are_not_tracked(live_server: LiveServer) -> None:
    """Auth off (loopback demo): nothing is registered, nothing is re-checked."""
    await live_server.services.monitor.open_run(RUN, "test", {}, None)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        try:
            streams = [
                await open_sse(client, f"/api/runs/{RUN}/stream"),
                await open_ws(live_server, "/ws/system", {}),
            ]
            assert len(live_server.services.streams) == 0
            assert all(reader.running for reader in streams)
        finally:
            await drop(*_readers)
            _readers.clear()
