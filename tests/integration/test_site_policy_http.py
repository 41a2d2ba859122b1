"""Per-site headers, user agent and proxy on the wire: the aiohttp transport against real
servers on 127.0.0.1 (a site, and a forward proxy that answers requests itself)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, SitePolicy, Task, TaskContext


@dataclass
class Seen:
    """What a server was asked: request target and headers, per request."""

    url: str = ""
    requests: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)
    """Headers as received: looked up without regard to case."""


async def _serve(seen: Seen) -> web.AppRunner:
    async def handle(request: web.Request) -> web.Response:
        # A forward proxy is sent the absolute URL (``GET http://host/path``); a site the path.
        seen.requests.append((str(request.url), request.headers.copy()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    seen.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Seen, Seen]]:
    site, proxy = Seen(), Seen()
    runners = [await _serve(site), await _serve(proxy)]
    try:
        yield site, proxy
    finally:
        for runner in runners:
            await runner.cleanup()


async def test_site_headers_user_agent_and_proxy_on_the_wire(
    monitor: Monitor, servers: tuple[Seen, Seen]
) -> None:
    site, proxy = servers
    # Nothing listens on port 9 of 127.0.0.1: a request that arrives anywhere went through
    # the proxy.
    unreachable = "http://127.0.0.1:9"
    collection = Collection(
        "wire",
        site_policy=SitePolicy(
            user_agent="crawlscope-test/1.0", headers={"Accept-Language": "de", "X-Site": "a"}
        ),
        sites={"127.0.0.1:9": SitePolicy(proxy=proxy.url, max_attempts=1)},
    )

    @collection.phase("pages", workers=1)
    async def pages(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{site.url}/a")
        await ctx.http.get(f"{site.url}/b", headers={"x-site": "own"})
        await ctx.http.get(f"{unreachable}/via-proxy")

    collection.seed(lambda params: [Task("pages")])
    run = monitor.new_run(collection)
    assert await asyncio.wait_for(run.execute(), 30) == "completed", run.finish_reason

    (url_a, headers_a), (url_b, headers_b) = site.requests
    assert (url_a.endswith("/a"), url_b.endswith("/b")) == (True, True)
    assert headers_a["User-Agent"] == "crawlscope-test/1.0"
    assert (headers_a["Accept-Language"], headers_a["X-Site"]) == ("de", "a")
    assert headers_b["X-Site"] == "own"  # the request's own header won
    ((proxied_url, proxied_headers),) = proxy.requests
    assert proxied_url == f"{unreachable}/via-proxy"
    # The proxied host has its own policy: no site headers, aiohttp's user agent.
    assert "X-Site" not in proxied_headers
    assert proxied_headers["User-Agent"] != "crawlscope-test/1.0"
