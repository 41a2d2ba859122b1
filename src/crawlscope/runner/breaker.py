"""A per-site circuit breaker: ``closed -> open -> half_open -> closed``.

The state machine is synchronous and takes its clock as an argument, so the rules are
unit-tested without sleeping; ``site.Site`` adds the waiting.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(enum.StrEnum):
    """Where a breaker is."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


TransitionHook = Callable[[BreakerState, BreakerState, int], None]


class CircuitBreaker:
    """Counts consecutive failed attempts; stops traffic to a failing site for a while.

    * closed: requests flow; ``threshold`` consecutive failures open the breaker.
    * open: nobody may send until ``cooldown`` seconds have passed.
    * half_open: exactly one probe may send; success closes, failure opens again.

    ``on_change(old, new, failures)`` is called on every transition.
    """

    def __init__(
        self,
        threshold: int,
        cooldown: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: TransitionHook | None = None,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.on_change = on_change
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self._probe_out = False

    def _move(self, new: BreakerState) -> None:
        old = self.state
        if old is new:
            return
        self.state = new
        if self.on_change is not None:
            self.on_change(old, new, self.failures)

    def try_acquire(self) -> float:
        """0 if a request may go now (it then must report its outcome), else seconds to wait.

        In half-open state only one caller gets 0 until that probe reports back; the others
        are asked to wait a short while and try again.
        """
        if self.state is BreakerState.CLOSED:
            return 0.0
        if self.state is BreakerState.OPEN:
            remaining = self.opened_at + self.cooldown - self.clock()
            if remaining > 0:
                return remaining
            self._move(BreakerState.HALF_OPEN)
        if self._probe_out:
            return max(0.05, min(1.0, self.cooldown / 4))
        self._probe_out = True
        return 0.0

    def record_success(self) -> None:
        """The request got an answer from a healthy site."""
        self.failures = 0
        if self.state is BreakerState.HALF_OPEN:
            self._probe_out = False
            self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """The request failed in a way that says the site is unhealthy."""
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN:
            self._probe_out = False
            self._open()
        elif self.state is BreakerState.CLOSED and self.failures >= self.threshold:
            self._open()

    def record_abandoned(self) -> None:
        """The request ended without an answer about the site (cancelled, paused)."""
        if self.state is BreakerState.HALF_OPEN:
            self._probe_out = False

    def _open(self) -> None:
        self.opened_at = self.clock()
        self._move(BreakerState.OPEN)

    def force_open(self, seconds: float) -> None:
        """Open now and stay open for ``seconds`` (an alert rule's action), then probe as
        after any opening."""
        self._probe_out = False
        self.opened_at = self.clock() + max(0.0, seconds - self.cooldown)
        if self.state is BreakerState.OPEN:
            return
        self._move(BreakerState.OPEN)
