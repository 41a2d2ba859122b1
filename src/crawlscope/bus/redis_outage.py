"""Logging a Redis outage without flooding: the first failure, then a reminder every 30 s,
and one line when Redis answers again (the bus's reader and flusher retry every 2 s)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

__all__ = ["OutageLog"]

REMIND_EVERY_S: Final = 30.0


class OutageLog:
    """One per retrying task (``what`` names it in the log lines)."""

    def __init__(
        self, log: logging.Logger, what: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._log = log
        self._what = what
        self._clock = clock
        self._since: float | None = None
        self._reminded = 0.0
        self.failures = 0
        """Failed attempts in the current outage."""

    def failed(self, exc: BaseException, waiting: str = "") -> None:
        """An attempt failed; ``waiting`` says what waits meanwhile (logged as is)."""
        now = self._clock()
        self.failures += 1
        if self._since is None:
            self._since = self._reminded = now
            self._log.warning("Redis unavailable (%s); %s retries%s", exc, self._what, waiting)
        elif now - self._reminded >= REMIND_EVERY_S:
            self._reminded = now
            self._log.warning(
                "Redis still unavailable after %.0fs (%s); %s retries%s",
                now - self._since,
                exc,
                self._what,
                waiting,
            )

    def succeeded(self) -> None:
        """An attempt worked: say so once if it ends an outage."""
        if self._since is not None:
            self._log.warning(
                "Redis answers again after %.1fs; %s goes on",
                self._clock() - self._since,
                self._what,
            )
            self._since = None
            self.failures = 0
