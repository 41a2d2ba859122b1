"""Each target site's health across the runs live in this process: its breaker and its
last success (``GET /api/health/services``, ``/metrics``).

Breakers belong to runs (each run's site policy has its own), so a site's state here is
the worst one among the active runs that use it: one open breaker is what an operator
needs to see. A site used only by runs that have ended (held for a minute after their
end) shows the worst state those runs ended with.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from crawlscope.aggregate import RunFrame
from crawlscope.status import TERMINAL_STATUSES

__all__ = ["BREAKER_STATES", "SiteHealth", "site_health"]

BREAKER_STATES = ("closed", "half_open", "open")
"""Breaker states, best first."""
_RANK = {state: rank for rank, state in enumerate(BREAKER_STATES)}


class SiteHealth(msgspec.Struct, kw_only=True):
    """One target site as the live runs see it."""

    site: str
    breaker: str = "closed"
    """The worst breaker state among the active runs using the site (``closed``,
    ``half_open``, ``open``)."""
    breaker_since: str | None = None
    """When that run's breaker entered that state (None: closed since the run began)."""
    last_success_at: str | None = None
    """The latest successful request to the site in any live run (None: none yet)."""
    requests: int = 0
    """Requests to the site in the live runs."""
    runs: list[str] = []
    """The live runs using the site, active ones first."""


def site_health(frames: Iterable[RunFrame]) -> list[SiteHealth]:
    """Every site of ``frames``, by name."""
    found: dict[str, SiteHealth] = {}
    judged_active: set[str] = set()
    ordered = sorted(frames, key=lambda f: f.status in TERMINAL_STATUSES)
    for frame in ordered:
        active = frame.status not in TERMINAL_STATUSES
        for card in frame.sites:
            health = found.get(card.site)
            if health is None:
                health = found[card.site] = SiteHealth(site=card.site, runs=[])
                if active:
                    judged_active.add(card.site)
            health.runs.append(frame.run_id)
            health.requests += card.requests
            if card.last_success_at is not None and (
                health.last_success_at is None or card.last_success_at > health.last_success_at
            ):
                health.last_success_at = card.last_success_at
            # Ended runs only decide for sites no active run uses (active frames come first).
            if active or card.site not in judged_active:
                _worse(health, card.breaker, card.breaker_since)
    return [found[name] for name in sorted(found)]


def _worse(health: SiteHealth, state: str, since: str | None) -> None:
    if _RANK.get(state, 0) > _RANK.get(health.breaker, 0):
        health.breaker = state
        health.breaker_since = since
    elif (
        state == health.breaker
        and since is not None
        and (health.breaker_since is None or since > health.breaker_since)
    ):
        health.breaker_since = since
