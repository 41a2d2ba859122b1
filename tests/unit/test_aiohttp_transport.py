"""``AiohttpTransport`` against a real server on 127.0.0.1: answers, the two failure kinds,
cancellation, and who closes the session."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from crawlscope.runner import AiohttpTransport, Outcome
from crawlscope.runner.transport import CONNECTION, TIMEOUT
from tests.conftest import Reply, ScriptedSite


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    transport = AiohttpTransport()
    try:
        yield transport
    finally:
        await transport.close()


async def _get(transport: AiohttpTransport, url: str, timeout: float = 5.0) -> Outcome:
    return await transport.send(
        "GET", url, params=None, headers=None, json=None, data=None, timeout=timeout
    )


async def test_an_answer_carries_status_headers_body_and_duration(
    transport: AiohttpTransport, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/a", Reply(200, "hello", {"Retry-After": "3"}))

    outcome = await transport.send(
        "POST",
        f"{scripted_site.url}/a",
        params={"q": "x y"},
        headers={"X-Test": "1"},
        json={"k": 1},
        data=None,
        timeout=5.0,
    )

    assert (outcome.status, outcome.body, outcome.error_type) == (200, b"hello", None)
    assert outcome.headers.get("retry-after") == "3"  # names are case-insensitive
    assert outcome.duration_ms >= 0
    assert scripted_site.hits["/a"] == 1


async def test_an_error_status_is_an_answer_not_a_failure(
    transport: AiohttpTransport, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/down", Reply(503, "busy"))
    outcome = await _get(transport, f"{scripted_site.url}/down")
    assert (outcome.status, outcome.body, outcome.error_type) == (503, b"busy", None)


async def test_no_answer_in_time_is_a_timeout(
    transport: AiohttpTransport, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/slow", Reply(delay=2.0))
    outcome = await _get(transport, f"{scripted_site.url}/slow", timeout=0.2)
    assert (outcome.status, outcome.error_type) == (None, TIMEOUT)
    assert outcome.message == "no complete response within 0.2s"
    assert outcome.duration_ms >= 190


async def test_a_refused_connection_is_a_connection_failure(
    transport: AiohttpTransport,
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    outcome = await _get(transport, f"http://127.0.0.1:{port}/x")
    assert (outcome.status, outcome.error_type) == (None, CONNECTION)
    assert outcome.message.startswith("ClientConnectorError: ")


async def test_cancellation_propagates(
    transport: AiohttpTransport, scripted_site: ScriptedSite
) -> None:
    scripted_site.queue("/slow", Reply(delay=2.0))
    request = asyncio.create_task(_get(transport, f"{scripted_site.url}/slow"))
    await asyncio.sleep(0.1)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request


async def test_close_closes_only_a_session_it_opened(scripted_site: ScriptedSite) -> None:
    unused = AiohttpTransport()
    await unused.close()  # never opened: nothing to close

    own = AiohttpTransport()
    assert (await _get(own, f"{scripted_site.url}/")).status == 200
    session = own._session
    assert session is not None
    await own.close()
    assert session.closed

    async with aiohttp.ClientSession() as given:
        borrowed = AiohttpTransport(session=given)
        assert (await _get(borrowed, f"{scripted_site.url}/")).status == 200
        await borrowed.close()
        assert not given.closed
