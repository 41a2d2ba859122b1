"""robots.txt for sites whose policy respects it (``SitePolicy(respect_robots=True)``).

A site's ``/robots.txt`` is fetched once, by the first request to the site, through the
same request path as every other request: it waits at the site's gate, is retried, and
shows as ``fetching``/``found`` on that worker (it is a request to the site like any
other, and counted as one). Requests to the site made meanwhile wait for it. Rules are
read with Protego (RFC 9309: ``*`` and ``$`` patterns, the longest match wins) for the
policy's ``user_agent`` (``*`` without one).

What an answer means (RFC 9309, section 2.3.1): a 2xx is the rules; a 4xx (404: no
robots.txt) allows everything. A robots.txt that cannot be had (5xx or no answer after
the policy's retries) also allows everything, with a warning logged: the RFC would
disallow the whole site, but a crawl that a flaky ``/robots.txt`` stops entirely is not
what a collection that merely asks to be polite expects (Scrapy decides the same).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from crawlscope.events import Action
from crawlscope.runner.errors import RequestFailed, RobotsDisallowed

if TYPE_CHECKING:
    from crawlscope.runner.context import TaskContext
    from crawlscope.runner.response import Response
    from crawlscope.runner.site import Site

__all__ = ["RobotsRules", "check_robots", "robots_url_of"]

log = logging.getLogger(__name__)

Fetch = Callable[[str], Awaitable["Response"]]
"""Fetches a URL through the run's request path (any 4xx is an answer)."""


def robots_url_of(url: str) -> str:
    """The robots.txt URL for the site of ``url``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


class RobotsRules:
    """One site's robots.txt, parsed, for one user agent."""

    __slots__ = ("_parser", "agent", "url")

    def __init__(self, url: str, text: str | None, agent: str) -> None:
        self.url = url
        self.agent = agent
        self._parser = Protego.parse(text) if text else None

    def allows(self, url: str) -> bool:
        """Whether ``url`` may be fetched."""
        parser = self._parser
        return parser is None or bool(parser.can_fetch(url, self.agent))


async def check_robots(ctx: TaskContext, site: Site, url: str, fetch: Fetch) -> None:
    """Raise ``RobotsDisallowed`` (after a ``skipped`` event) if ``site``'s robots.txt
    disallows ``url``; fetch the rules first if nobody has yet."""
    robots_url = robots_url_of(url)
    if url == robots_url:
        return  # the robots.txt request itself
    rules = site.robots
    while rules is None:
        fetching = site.robots_fetching
        if fetching is None:
            # This request fetches it; if it is cancelled, the next one tries again.
            fetching = site.robots_fetching = asyncio.Event()
            try:
                rules = site.robots = await _fetch_rules(site, robots_url, fetch)
            finally:
                site.robots_fetching = None
                fetching.set()
        else:
            await fetching.wait()
            rules = site.robots
    if not rules.allows(url):
        ctx.emit(
            Action.SKIPPED,
            site=site.key,
            url=url,
            extra={"reason": "robots.txt", "robots_url": robots_url},
        )
        raise RobotsDisallowed(url, robots_url)


async def _fetch_rules(site: Site, robots_url: str, fetch: Fetch) -> RobotsRules:
    agent = site.policy.user_agent or "*"
    try:
        response = await fetch(robots_url)
    except RequestFailed as exc:
        log.warning(
            "%s could not be fetched (%s); every URL of %s is allowed", robots_url, exc, site.key
        )
        return RobotsRules(robots_url, None, agent)
    if response.status >= 400:
        return RobotsRules(robots_url, None, agent)  # no robots.txt: everything allowed
    return RobotsRules(robots_url, response.text(), agent)
