"""The scheduler's clock: the wall time, and a way to wait until a moment or a wake-up.

Slots are wall-clock moments (a cron time in a zone), but asyncio sleeps on the monotonic
clock. ``SystemClock`` never sleeps longer than ``max_sleep`` at once, so a change of the
wall clock (NTP, a suspended machine) is noticed within that time: a jump forward makes
the slots in between due (and handled as missed, by the catch-up policy), a jump back
makes nothing due twice (a claimed slot stays claimed). Tests inject a clock of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Protocol

from crawlscope.timestamps import utc_now

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """What the scheduler asks of time."""

    def now(self) -> datetime:
        """The current moment (aware, UTC)."""

    async def sleep_until(self, moment: datetime | None, wake: asyncio.Event) -> None:
        """Return at ``moment`` (None: only on a wake-up), or as soon as ``wake`` is set."""


class SystemClock:
    """The machine's clock; sleeps at most ``max_sleep`` seconds at once (see above)."""

    def __init__(self, max_sleep: float = 30.0, min_sleep: float = 0.01) -> None:
        self.max_sleep = max_sleep
        self.min_sleep = min_sleep

    def now(self) -> datetime:
        """``utc_now()``."""
        return utc_now()

    async def sleep_until(self, moment: datetime | None, wake: asyncio.Event) -> None:
        """Wait for ``moment``, a wake-up or ``max_sleep`` seconds, whichever comes first."""
        timeout = self.max_sleep
        if moment is not None:
            timeout = min(timeout, (moment - self.now()).total_seconds())
        # A floor: a slot a few ms ahead must not turn the loop into a busy one.
        timeout = max(self.min_sleep, timeout)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)
