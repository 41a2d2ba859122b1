"""Per-host traffic control: circuit breaker, Retry-After holds, concurrency and rate limits."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter

from crawlscope.runner.breaker import BreakerState, CircuitBreaker
from crawlscope.runner.policy import SitePolicy

if TYPE_CHECKING:
    from crawlscope.runner.robots import RobotsRules

__all__ = [
    "WAIT_BREAKER",
    "WAIT_CONCURRENCY",
    "WAIT_RATE_LIMIT",
    "WAIT_RETRY_AFTER",
    "BreakerHook",
    "Site",
    "SiteRegistry",
    "WaitHook",
    "site_of",
]

BreakerHook = Callable[[str, BreakerState, BreakerState, int], None]
WaitHook = Callable[[str, "float | None"], None]
"""``on_wait(reason, seconds)``: a request is about to wait at the gate, for ``reason``
(one of the ``WAIT_*`` values), ``seconds`` if known."""

# Why a request waits at a site's gate (the ``waiting`` event's ``extra.waiting_for``).
WAIT_RETRY_AFTER = "retry_after"
"""A 429's ``Retry-After`` holds the whole site."""
WAIT_BREAKER = "breaker"
"""The circuit breaker is open (or half-open with its one probe out)."""
WAIT_CONCURRENCY = "concurrency"
"""Every concurrency slot of the site is taken."""
WAIT_RATE_LIMIT = "rate_limit"
"""The site's rate limit has no capacity left this instant."""

# Waiters re-check at least this often, so a breaker that closes early is noticed quickly.
_MAX_NAP = 0.5
_CLOSED = BreakerState.CLOSED


def site_of(url: str) -> str:
    """The site key of a URL: ``host`` or ``host:port``, lower-cased."""
    return urlsplit(url).netloc.lower().rsplit("@", 1)[-1]


class Site:
    """Traffic control for one host, shared by every worker of a run.

    The concurrency slots are counted here rather than by an ``asyncio.Semaphore``, so
    that ``try_enter`` can take one without a coroutine when nothing is in the way (the
    common case, on every request). A released slot goes straight to the longest waiter.
    """

    robots: RobotsRules | None = None
    """The site's robots.txt rules, once fetched (only for a policy that respects them)."""
    robots_fetching: asyncio.Event | None = None
    """Set while one request fetches robots.txt; the others wait for it."""

    def __init__(self, key: str, policy: SitePolicy, on_breaker: BreakerHook | None = None) -> None:
        self.key = key
        self.policy = policy
        self.breaker = CircuitBreaker(
            policy.breaker_threshold,
            policy.breaker_cooldown,
            on_change=(lambda old, new, n: on_breaker(key, old, new, n)) if on_breaker else None,
        )
        self._free = policy.max_concurrency
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._limiter = _limiter(policy.rate_per_second)
        self._hold_until = 0.0

    def hold(self, seconds: float) -> None:
        """Stop every worker from sending to this host for ``seconds`` (a ``Retry-After``)."""
        self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def try_enter(self) -> bool:
        """Take a slot now if nothing is in the way; False (nothing taken) otherwise.

        Nothing is in the way when a slot is free, the breaker is closed, no
        ``Retry-After`` hold is on and the site has no rate limit; anything else is
        ``acquire``'s to wait for. The caller must ``release`` and report to ``breaker``.
        """
        if self._free > 0 and self._limiter is None and self.breaker.state is _CLOSED:
            hold_until = self._hold_until
            if hold_until and hold_until > time.monotonic():
                return False
            self._free -= 1
            return True
        return False

    async def acquire(self, on_wait: WaitHook | None = None) -> float:
        """Wait until a request may be sent, then take a concurrency slot.

        ``on_wait(reason, seconds)`` is called right before the request has to wait, and
        again whenever the reason changes (a hold ends, then every slot is taken): never
        when nothing is in the way. Returns the seconds spent waiting (0.0 if none).
        The caller must call ``release`` afterwards and report the outcome to ``breaker``.
        """
        began: float | None = None  # when the first wait began
        reason: str | None = None
        while True:
            wait = self._hold_until - time.monotonic()
            if wait > 0:
                why = WAIT_RETRY_AFTER
            else:
                wait = self.breaker.try_acquire()
                if wait <= 0:
                    break
                why = WAIT_BREAKER
            if why is not reason:
                reason = why
                if began is None:
                    began = time.monotonic()
                if on_wait is not None:
                    on_wait(why, wait)
            await asyncio.sleep(min(wait, _MAX_NAP))
        try:
            if self._free > 0:
                self._free -= 1
            else:
                if began is None:
                    began = time.monotonic()
                if on_wait is not None:
                    on_wait(WAIT_CONCURRENCY, None)
                await self._wait_for_slot()
        except BaseException:
            self.breaker.record_abandoned()
            raise
        limiter = self._limiter
        if limiter is not None:
            try:
                # Nothing runs between this check and ``acquire``: it waits exactly when
                # the check says there is no capacity.
                if not limiter.has_capacity():
                    if began is None:
                        began = time.monotonic()
                    if on_wait is not None:
                        on_wait(WAIT_RATE_LIMIT, None)
                await limiter.acquire()
            except BaseException:
                self.release()
                self.breaker.record_abandoned()
                raise
        return 0.0 if began is None else time.monotonic() - began

    async def _wait_for_slot(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.cancelled():
                # Handed a slot just as it was cancelled: pass the slot on.
                self.release()
            raise

    def release(self) -> None:
        """Give back the concurrency slot taken by ``try_enter`` or ``acquire``."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():  # a cancelled waiter is skipped
                waiter.set_result(None)  # the slot goes straight to it
                return
        self._free += 1

    def set_concurrency(self, limit: int) -> None:
        """Allow ``limit`` requests at once from now on (an alert rule's action). Requests
        in flight finish; no new one starts until fewer than ``limit`` are in flight."""
        limit = max(1, limit)
        self._free += limit - self.policy.max_concurrency
        self.policy = self.policy.replace(max_concurrency=limit)
        while self._free > 0 and self._waiters:
            self._free -= 1
            self.release()

    @property
    def in_flight(self) -> int:
        """Slots taken now (requests sent or about to be)."""
        return self.policy.max_concurrency - self._free


def _limiter(rate_per_second: float | None) -> AsyncLimiter | None:
    """A leaky bucket letting ``rate_per_second`` requests start per second.

    Below one a second the bucket holds one request and drains over ``1 / rate`` seconds:
    ``AsyncLimiter(0.5, 1.0)`` would refuse every request (one is more than its capacity).
    """
    if not rate_per_second:
        return None
    if rate_per_second < 1:
        return AsyncLimiter(1, 1 / rate_per_second)
    return AsyncLimiter(rate_per_second, 1.0)


class SiteRegistry:
    """Creates one ``Site`` per host on first use, with the policy configured for it."""

    def __init__(
        self,
        default: SitePolicy,
        overrides: Mapping[str, SitePolicy] | None = None,
        on_breaker: BreakerHook | None = None,
    ) -> None:
        self.default = default
        self.overrides = {key.lower(): value for key, value in (overrides or {}).items()}
        self.on_breaker = on_breaker
        self.sites: dict[str, Site] = {}

    def get(self, key: str) -> Site:
        """The ``Site`` for a host key (see ``site_of``)."""
        site = self.sites.get(key)
        if site is None:
            host = key.rsplit(":", 1)[0]
            policy = self.overrides.get(key) or self.overrides.get(host) or self.default
            site = self.sites[key] = Site(key, policy, self.on_breaker)
        return site
