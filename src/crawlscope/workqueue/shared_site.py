"""Site limits shared by every worker of a run through Redis.

``SharedSite`` is what the request path sees in a worker process instead of
``runner.site.Site``: the same methods, but the Retry-After hold, the circuit breaker,
the concurrency slots and the rate limit live in Redis (scripts in ``site_scripts``), so
three workers on one site keep that site's one limit. Taking a slot is one script call;
giving it back and reporting to the breaker are sent without waiting for the answer
(they are not on the request's path; a slot whose release is lost expires after
``slot_ttl``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from crawlscope.runner.breaker import BreakerState
from crawlscope.runner.policy import SitePolicy
from crawlscope.runner.site import (
    WAIT_BREAKER,
    WAIT_CONCURRENCY,
    WAIT_RATE_LIMIT,
    WAIT_RETRY_AFTER,
    BreakerHook,
    WaitHook,
)
from crawlscope.workqueue.keys import QueueKeys
from crawlscope.workqueue.site_scripts import GATE, HOLD, RECORD, RELEASE, site_keys

__all__ = ["KEY_TTL_MS", "Scripts", "SharedBreaker", "SharedSite", "SharedSiteRegistry"]

log = logging.getLogger(__name__)

_REASONS = {1: WAIT_RETRY_AFTER, 2: WAIT_BREAKER, 3: WAIT_CONCURRENCY, 4: WAIT_RATE_LIMIT}
# A request waiting for a slot another worker holds re-asks this often (Redis cannot hand
# a slot to a waiter in another process the way ``Site.release`` does in one).
_SLOT_POLL_S = 0.02
_MAX_NAP_S = 0.5
KEY_TTL_MS = 3_600_000


class Scripts:
    """The registered scripts of one Redis client."""

    def __init__(self, redis: Any) -> None:
        self.gate = redis.register_script(GATE)
        self.release = redis.register_script(RELEASE)
        self.hold = redis.register_script(HOLD)
        self.record = redis.register_script(RECORD)


class SharedBreaker:
    """The site's circuit breaker, kept in Redis; ``state`` is the last one seen here."""

    def __init__(self, site: SharedSite) -> None:
        self._site = site
        self.state = BreakerState.CLOSED
        self.failures = 0

    def record_success(self) -> None:
        """The request got an answer from a healthy site."""
        self._site._record("success")

    def record_failure(self) -> None:
        """The request failed in a way that says the site is unhealthy."""
        self._site._record("failure")

    def record_abandoned(self) -> None:
        """The request ended without an answer about the site."""
        self._site._record("abandoned")

    def force_open(self, seconds: float) -> None:
        """Open for every worker of the run for ``seconds``."""
        self._site._record("force", round(seconds * 1000))


class SharedSite:
    """Traffic control for one host, shared by every worker of the run on any machine."""

    robots: Any = None
    robots_fetching: asyncio.Event | None = None

    def __init__(
        self,
        key: str,
        policy: SitePolicy,
        redis: Any,
        scripts: Scripts,
        prefix: str,
        background: set[asyncio.Task[Any]],
        on_breaker: BreakerHook | None = None,
    ) -> None:
        self.key = key
        self.policy = policy
        self.breaker = SharedBreaker(self)
        self._redis = redis
        self._scripts = scripts
        self._keys = site_keys(prefix)
        self._tokens: list[str] = []
        self._background = background
        self._on_breaker = on_breaker
        # A slot outlives the longest request it may cover, then frees itself.
        self._slot_ttl_ms = round((policy.timeout * policy.max_attempts + 30) * 1000)

    def try_enter(self) -> bool:
        """Always False: a shared slot takes a Redis call, which ``acquire`` makes."""
        return False

    async def acquire(self, on_wait: WaitHook | None = None) -> float:
        """Wait until a request may be sent, then take a shared concurrency slot; the
        seconds spent waiting (see ``Site.acquire``)."""
        loop = asyncio.get_running_loop()
        began: float | None = None
        reason: str | None = None
        token = uuid.uuid4().hex
        rate = self.policy.rate_per_second
        interval = round(1000 / rate) if rate else 0
        recheck = round(max(50.0, min(1000.0, self.policy.breaker_cooldown * 250)))
        while True:
            code, wait_ms, moved = await self._scripts.gate(
                keys=self._keys,
                args=[
                    token,
                    self.policy.max_concurrency,
                    self._slot_ttl_ms,
                    interval,
                    recheck,
                    KEY_TTL_MS,
                ],
            )
            if moved:
                self._moved(BreakerState.OPEN, BreakerState.HALF_OPEN)
            if code == 0:
                self._tokens.append(token)
                return 0.0 if began is None else loop.time() - began
            why = _REASONS[int(code)]
            seconds = int(wait_ms) / 1000 if wait_ms else None
            if why != reason:
                reason = why
                if began is None:
                    began = loop.time()
                if on_wait is not None:
                    on_wait(why, seconds)
            await asyncio.sleep(min(seconds or _SLOT_POLL_S, _MAX_NAP_S))

    def release(self) -> None:
        """Give back a slot taken by ``acquire``."""
        if self._tokens:
            token = self._tokens.pop()
            self._later(self._scripts.release(keys=[self._keys[2]], args=[token]))

    def hold(self, seconds: float) -> None:
        """Stop every worker of the run from sending to this host for ``seconds``."""
        self._later(
            self._scripts.hold(keys=[self._keys[0]], args=[round(seconds * 1000), KEY_TTL_MS])
        )

    def set_concurrency(self, limit: int) -> None:
        """Ask for at most ``limit`` slots from now on (each worker passes its limit)."""
        self.policy = self.policy.replace(max_concurrency=max(1, limit))

    @property
    def in_flight(self) -> int:
        """Slots this process holds now."""
        return len(self._tokens)

    def _record(self, kind: str, amount_ms: int | None = None) -> None:
        policy = self.policy
        cooldown = amount_ms if amount_ms is not None else round(policy.breaker_cooldown * 1000)
        self._later(
            self._scripts.record(
                keys=[self._keys[1]],
                args=[kind, policy.breaker_threshold, cooldown, KEY_TTL_MS],
            ),
            self._recorded,
        )

    def _recorded(self, reply: Any) -> None:
        old, new, failures = (_text(reply[0]), _text(reply[1]), int(reply[2]))
        self.breaker.failures = failures
        if old != new:
            self._moved(BreakerState(old), BreakerState(new))

    def _moved(self, old: BreakerState, new: BreakerState) -> None:
        self.breaker.state = new
        if self._on_breaker is not None:
            self._on_breaker(self.key, old, new, self.breaker.failures)

    def _later(self, call: Any, then: Any = None) -> None:
        async def send() -> None:
            try:
                reply = await call
            except Exception as exc:  # the slot expires; the breaker misses one report
                log.warning("site %s: a shared-limit update failed: %r", self.key, exc)
                return
            if then is not None:
                then(reply)

        task = asyncio.get_running_loop().create_task(send())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class SharedSiteRegistry:
    """One ``SharedSite`` per host of one run in this process (see ``SiteRegistry``)."""

    def __init__(
        self,
        redis: Any,
        keys: QueueKeys,
        run_id: str,
        default: SitePolicy,
        overrides: Mapping[str, SitePolicy] | None = None,
        on_breaker: BreakerHook | None = None,
    ) -> None:
        self.default = default
        self.overrides = {key.lower(): value for key, value in (overrides or {}).items()}
        self.on_breaker = on_breaker
        self.sites: dict[str, SharedSite] = {}
        self._redis = redis
        self._scripts = Scripts(redis)
        self._keys = keys
        self._run_id = run_id
        self.background: set[asyncio.Task[Any]] = set()

    def get(self, key: str) -> SharedSite:
        """The ``SharedSite`` for a host key (see ``runner.site.site_of``)."""
        site = self.sites.get(key)
        if site is None:
            host = key.rsplit(":", 1)[0]
            policy = self.overrides.get(key) or self.overrides.get(host) or self.default
            site = self.sites[key] = SharedSite(
                key,
                policy,
                self._redis,
                self._scripts,
                self._keys.site(self._run_id, key),
                self.background,
                self.on_breaker,
            )
        return site

    async def settle(self) -> None:
        """Wait for the updates sent without waiting (slot releases, breaker reports)."""
        if self.background:
            await asyncio.gather(*list(self.background), return_exceptions=True)
