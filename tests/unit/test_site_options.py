"""Per-site headers, user agent, proxy and robots.txt (runner/policy.py, runner/http.py,
runner/robots.py), through the real request path with an in-memory transport."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from crawlscope.events import ActivityEvent
from crawlscope.runner import Collection, ConfigError, RobotsDisallowed, SitePolicy, Task
from crawlscope.runner.context import RunScope, TaskContext
from crawlscope.runner.control import RunControl
from crawlscope.runner.progress import Progress
from crawlscope.runner.queues import PhaseQueues
from crawlscope.runner.robots import robots_url_of
from crawlscope.runner.site import SiteRegistry
from tests.fake_transport import FakeTransport, answer, refused

URL = "http://shop.test/p/1"
ROBOTS = "http://shop.test/robots.txt"
FAST = {"backoff_base": 0.001, "backoff_max": 0.002, "backoff_jitter": 0.0}


def _ctx(transport: FakeTransport, policy: SitePolicy, events: list[ActivityEvent]) -> TaskContext:
    scope = RunScope(
        run_id="run-1",
        collection=Collection("unit"),
        params={},
        emit=events.append,
        control=RunControl(max_consecutive_failures=5),
        sites=SiteRegistry(SitePolicy(**FAST), {"shop.test": policy}),
        progress=Progress(),
        queues=PhaseQueues(["pages"]),
        pipeline=None,
        rng=random.Random(7),
        transport=transport,
    )
    return TaskContext(scope, 2, "pages", Task("p1"), 1)


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"headers": ["Accept"]}, "headers must be a mapping"),
        ({"headers": {"Bad Name": "x"}}, "headers has an invalid header name 'Bad Name'"),
        ({"headers": {"X-A": "1\r\nX-Injected: 2"}}, r"headers\['X-A'\] must not contain line"),
        ({"headers": {"X-A": 3}}, r"headers\['X-A'\] must be text"),
        ({"user_agent": ""}, "user_agent must not be empty"),
        ({"user_agent": "bot\n"}, "user_agent must not contain line breaks"),
        ({"user_agent": 7}, "user_agent must be text"),
        ({"proxy": "socks5://127.0.0.1:1080"}, "proxy must be an http:// or https:// URL"),
        ({"proxy": "http://"}, "proxy must be an http:// or https:// URL with a host"),
        ({"proxy": "http://127.0.0.1:99999"}, "proxy 'http://127.0.0.1:99999' is not a valid URL"),
        ({"proxy": "http://127.0.0.1:3128/path"}, r"proxy must be scheme://\[user:pass@\]host"),
        ({"proxy": 3128}, "proxy must be a URL"),
        ({"respect_robots": "yes"}, "respect_robots must be True or False"),
    ],
)
def test_bad_site_settings_name_the_setting(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=f"site policy: {message}"):
        SitePolicy(**settings)


def test_headers_and_user_agent_are_merged_once() -> None:
    assert SitePolicy().request_headers is None
    assert not SitePolicy().adjusts
    policy = SitePolicy(headers={"Accept": "text/html", "user-agent": "old"}, user_agent="bot/1")
    assert policy.request_headers == {"Accept": "text/html", "User-Agent": "bot/1"}
    assert policy.adjusts
    assert SitePolicy(proxy="http://u:p@127.0.0.1:3128").adjusts
    assert SitePolicy(respect_robots=True).adjusts
    given = {"X-A": "1"}
    frozen = SitePolicy(headers=given)
    given["X-A"] = "changed"
    assert dict(frozen.headers or {}) == {"X-A": "1"}
    assert frozen.request_headers == {"X-A": "1"}
    # replace() copies what was given, not what was derived, and validates again.
    changed = policy.replace(user_agent="bot/2")
    assert changed.request_headers == {"Accept": "text/html", "User-Agent": "bot/2"}
    with pytest.raises(ConfigError, match="proxy must be"):
        policy.replace(proxy="ftp://x")


# -- applied to requests ---------------------------------------------------------------------


async def test_site_headers_user_agent_and_proxy_reach_the_transport() -> None:
    transport = FakeTransport()
    events: list[ActivityEvent] = []
    policy = SitePolicy(
        **FAST,
        headers={"Accept-Language": "de", "X-Site": "a"},
        user_agent="crawlscope-test/1.0",
        proxy="http://127.0.0.1:3128",
    )
    ctx = _ctx(transport, policy, events)
    await ctx.http.get(URL)
    await ctx.http.get(URL, headers={"x-site": "mine", "Accept": "application/json"})
    await ctx.http.get("http://other.test/x")  # another site: the default policy

    plain, own, other = transport.sent
    assert plain.headers == {
        "Accept-Language": "de",
        "X-Site": "a",
        "User-Agent": "crawlscope-test/1.0",
    }
    # A request's own header wins over the site's, whatever the case of its name.
    assert own.headers == {
        "Accept-Language": "de",
        "User-Agent": "crawlscope-test/1.0",
        "x-site": "mine",
        "Accept": "application/json",
    }
    assert plain.proxy == own.proxy == "http://127.0.0.1:3128"
    assert (other.headers, other.proxy) == (None, None)


# -- robots.txt ------------------------------------------------------------------------------


def test_robots_url_of() -> None:
    assert robots_url_of("https://Shop.test:8443/a/b?c=1#d") == "https://Shop.test:8443/robots.txt"


async def test_robots_txt_is_fetched_once_and_disallowed_urls_are_skipped() -> None:
    transport = FakeTransport()
    rules = b"User-agent: *\nDisallow: /private\n\nUser-agent: testbot\nDisallow: /p/2\n"
    transport.queue(ROBOTS, answer(200, rules))
    events: list[ActivityEvent] = []
    ctx = _ctx(transport, SitePolicy(**FAST, respect_robots=True, user_agent="testbot/2"), events)

    # Many requests at once: one fetches robots.txt, the others wait for it.
    pages = [f"http://shop.test/p/{n}" for n in (1, 3, 4, 5)]
    responses = await asyncio.gather(*(ctx.http.get(url) for url in pages))
    assert all(r.status == 200 for r in responses)
    with pytest.raises(RobotsDisallowed) as caught:
        await ctx.http.get("http://shop.test/p/2")  # disallowed for testbot
    allowed = await ctx.http.get("http://shop.test/private/x")  # only for other agents
    assert allowed.status == 200

    sent = [s.url for s in transport.sent]
    assert sent.count(ROBOTS) == 1
    assert sent[0] == ROBOTS
    assert "http://shop.test/p/2" not in sent
    assert (caught.value.url, caught.value.robots_url) == ("http://shop.test/p/2", ROBOTS)
    # The robots.txt request is a request like any other, on the worker that made it.
    assert [(e.action, e.url) for e in events[:2]] == [("fetching", ROBOTS), ("found", ROBOTS)]
    (skipped,) = [e for e in events if e.action == "skipped"]
    assert (skipped.url, skipped.site) == ("http://shop.test/p/2", "shop.test")
    assert skipped.worker_id == 2
    assert skipped.extra == {"reason": "robots.txt", "robots_url": ROBOTS}
    assert skipped.error_type is None


@pytest.mark.parametrize(
    "steps",
    [
        [answer(404, b"not found")],  # no robots.txt
        [answer(403, b"no")],  # RFC 9309: any 4xx means no rules
        [answer(500), answer(503), answer(500)],  # unreachable after the retries
        [refused(), refused(), refused()],
    ],
)
async def test_a_missing_or_unreachable_robots_txt_allows_everything(steps: list[Any]) -> None:
    transport = FakeTransport()
    transport.queue(ROBOTS, *steps)
    events: list[ActivityEvent] = []
    ctx = _ctx(transport, SitePolicy(**FAST, max_attempts=3, respect_robots=True), events)
    assert (await ctx.http.get(URL)).status == 200
    assert (await ctx.http.get("http://shop.test/p/2")).status == 200
    sent = [s.url for s in transport.sent]
    assert sent == [ROBOTS] * len(steps) + [URL, "http://shop.test/p/2"]
    assert not [e for e in events if e.action == "skipped"]


async def test_a_cancelled_robots_fetch_lets_the_next_request_fetch_it() -> None:
    transport = FakeTransport()
    gate: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    transport.queue(ROBOTS, gate, answer(200, b"User-agent: *\nDisallow: /p/\n"))
    events: list[ActivityEvent] = []
    ctx = _ctx(transport, SitePolicy(**FAST, respect_robots=True), events)
    first = asyncio.create_task(ctx.http.get(URL))
    await transport.started.wait()
    waiting = asyncio.create_task(ctx.http.get("http://shop.test/p/9"))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    with pytest.raises(RobotsDisallowed):
        await waiting  # it fetched robots.txt itself, and /p/ is disallowed
    assert [s.url for s in transport.sent] == [ROBOTS, ROBOTS]
