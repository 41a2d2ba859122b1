"""Deliberate misbehaviour of the demo site, at configurable rates.

Faults are decided per URL and per visit of that URL (the first, second, ... request for
the same path and query), from a seed. So the same URL misbehaves the same way whatever
order workers fetch pages in, and ``max_faults_per_url`` guarantees every page eventually
answers: a crawl that retries enough collects the complete ground truth.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

__all__ = ["Fault", "FaultConfig", "FaultPlan"]


class Fault(enum.StrEnum):
    """What the site does to one request."""

    NONE = "none"
    SLOW = "slow"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    BROKEN = "broken"


@dataclass(frozen=True)
class FaultConfig:
    """Rates (0..1) of each fault and their parameters.

    Attributes:
        slow_rate / slow_s: share of responses delayed by ``slow_s`` seconds.
        rate_limit_rate / retry_after_s: share answered 429 with ``Retry-After``.
        server_error_rate: share answered 500.
        timeout_rate / timeout_s: share that hang for ``timeout_s`` before answering
            (longer than the client's timeout).
        broken_rate: share whose body is cut short (HTML without its end marker, JSON
            truncated).
        latency_s: (min, max) seconds of ordinary latency on every response.
        max_faults_per_url: after this many faulty visits a URL always answers properly.
        fail_all: every request gets a 500 (a site that is down).
        seed: seeds the per-URL decisions.
    """

    slow_rate: float = 0.0
    slow_s: float = 0.4
    rate_limit_rate: float = 0.0
    retry_after_s: float = 1.0
    server_error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 3.0
    broken_rate: float = 0.0
    latency_s: tuple[float, float] = (0.0, 0.0)
    max_faults_per_url: int = 2
    fail_all: bool = False
    seed: int = 1

    def __post_init__(self) -> None:
        rates = {
            "slow_rate": self.slow_rate,
            "rate_limit_rate": self.rate_limit_rate,
            "server_error_rate": self.server_error_rate,
            "timeout_rate": self.timeout_rate,
            "broken_rate": self.broken_rate,
        }
        for name, value in rates.items():
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if sum(rates.values()) > 1:
            raise ValueError("fault rates must add up to at most 1")
        low, high = self.latency_s
        if not 0 <= low <= high:
            raise ValueError(f"latency_s must be (min, max) with 0 <= min <= max, got {low, high}")
        if self.max_faults_per_url < 0:
            raise ValueError("max_faults_per_url must be >= 0")

    @classmethod
    def off(cls) -> FaultConfig:
        """A well-behaved, fast site (benchmarks)."""
        return cls()

    @classmethod
    def demo(cls) -> FaultConfig:
        """The demo's mix: a little of everything, with realistic latency."""
        return cls(
            slow_rate=0.04,
            rate_limit_rate=0.02,
            server_error_rate=0.03,
            timeout_rate=0.005,
            broken_rate=0.02,
            latency_s=(0.005, 0.06),
            retry_after_s=1.0,
            timeout_s=2.5,
        )

    @classmethod
    def down(cls) -> FaultConfig:
        """Every request fails with a 500."""
        return cls(fail_all=True)


class FaultPlan:
    """Decides, per request, which fault (if any) to inject and how much latency to add."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._visits: dict[str, int] = {}
        self._faults: dict[str, int] = {}
        c = config
        # Cumulative thresholds over one uniform draw.
        self._table: list[tuple[float, Fault]] = []
        edge = 0.0
        for rate, fault in (
            (c.rate_limit_rate, Fault.RATE_LIMIT),
            (c.server_error_rate, Fault.SERVER_ERROR),
            (c.timeout_rate, Fault.TIMEOUT),
            (c.broken_rate, Fault.BROKEN),
            (c.slow_rate, Fault.SLOW),
        ):
            if rate:
                edge += rate
                self._table.append((edge, fault))

    def _draw(self, key: str, visit: int, salt: str) -> float:
        digest = hashlib.blake2b(
            f"{self.config.seed}:{salt}:{visit}:{key}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") / 2**64

    def decide(self, key: str) -> tuple[Fault, float]:
        """``(fault, latency seconds)`` for the next visit of ``key`` (path and query)."""
        config = self.config
        if config.fail_all:
            return Fault.SERVER_ERROR, 0.0
        visit = self._visits.get(key, 0) + 1
        self._visits[key] = visit
        low, high = config.latency_s
        latency = low + (high - low) * self._draw(key, visit, "latency") if high else 0.0
        fault = Fault.NONE
        if self._table and self._faults.get(key, 0) < config.max_faults_per_url:
            roll = self._draw(key, visit, "fault")
            for edge, candidate in self._table:
                if roll < edge:
                    fault = candidate
                    break
        if fault is not Fault.NONE and fault is not Fault.SLOW:
            self._faults[key] = self._faults.get(key, 0) + 1
        return fault, latency
