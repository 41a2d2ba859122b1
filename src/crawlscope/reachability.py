"""Whether a service the server depends on (PostgreSQL, Redis) answers, since when, and why
not: what ``GET /api/health/services`` and the dashboard's overview report.

A ``Probe`` asks its service a trivial question (``SELECT 1``, ``PING``) every few seconds
with a short time limit, so an outage shows within seconds even when no event is being
stored, and its end shows as soon as the service answers again. Code that talks to the
service anyway may report what it saw (``succeeded``/``failed``) to make it show sooner.
The probe only observes: buffering and retrying are the recorder's, the bus's and the
reporter's (docs/deployment.md, "When Redis or PostgreSQL goes away").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

import msgspec

__all__ = ["Probe", "ServiceState", "State"]

log = logging.getLogger(__name__)

State = Literal["up", "down", "unknown"]


class ServiceState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A service's reachability as last seen by its probe (times are ISO-8601, UTC)."""

    state: State
    """``up``: the last check answered; ``down``: it failed; ``unknown``: not checked yet."""
    since: str | None = None
    """When the current state began (the first failure of an outage, the first answer
    after one)."""
    down_for_s: float | None = None
    """While down: seconds since the outage began."""
    last_error: str | None = None
    """The most recent failure (kept after recovery, to say what the last outage was)."""
    last_error_at: str | None = None
    checked_at: str | None = None
    """When the service was last checked."""
    outages: int = 0
    """Outages seen since the server started."""


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Probe:
    """Checks one service every ``every_s`` seconds (``check`` raises when it cannot be
    used; it is given ``timeout_s`` seconds) and keeps its state and history.

    ``name`` is used in logs ("database", "redis"). ``clock`` gives wall time (tests).
    """

    def __init__(
        self,
        name: str,
        check: Callable[[], Awaitable[object]],
        *,
        every_s: float = 2.0,
        timeout_s: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.every_s = every_s
        self.timeout_s = timeout_s
        self._check = check
        self._clock = clock
        self._state: State = "unknown"
        self._since: float | None = None
        self._checked: float | None = None
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._outages = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def state(self) -> State:
        """``up``, ``down`` or ``unknown``."""
        return self._state

    def succeeded(self) -> None:
        """The service answered."""
        now = self._clock()
        self._checked = now
        if self._state != "up":
            if self._state == "down" and self._since is not None:
                log.warning("%s reachable again after %.1fs", self.name, now - self._since)
            self._state, self._since = "up", now

    def failed(self, exc: BaseException) -> None:
        """The service could not be used (``exc`` says why)."""
        now = self._clock()
        self._checked = now
        self._last_error, self._last_error_at = _describe(exc), now
        if self._state != "down":
            log.warning("%s unreachable: %s", self.name, self._last_error)
            self._state, self._since = "down", now
            self._outages += 1

    def snapshot(self) -> ServiceState:
        """The state now, for health reports."""
        now = self._clock()
        return ServiceState(
            state=self._state,
            since=None if self._since is None else _iso(self._since),
            down_for_s=(
                round(now - self._since, 1)
                if self._state == "down" and self._since is not None
                else None
            ),
            last_error=self._last_error,
            last_error_at=None if self._last_error_at is None else _iso(self._last_error_at),
            checked_at=None if self._checked is None else _iso(self._checked),
            outages=self._outages,
        )

    async def check_now(self) -> State:
        """Check once now and return the state."""
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._check()
        except TimeoutError:
            self.failed(TimeoutError(f"no answer within {self.timeout_s:g}s"))
        except Exception as exc:  # whatever the client raises, the service is not usable
            self.failed(exc)
        else:
            self.succeeded()
        return self._state

    def start(self) -> None:
        """Check now and then every ``every_s`` seconds, in a background task."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"crawlscope-probe-{self.name}")

    async def stop(self) -> None:
        """Stop checking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self.check_now()
            await asyncio.sleep(self.every_s)
