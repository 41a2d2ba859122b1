"""Bounded label values: a few sites and collections by name, the rest as ``other``.

Prometheus keeps one time series per label combination, so a label must not take one
value per target host of a crawl that visits thousands. Counters must also only ever go
up: a site that moved from its own label to ``other`` would make ``other`` jump and its
own series stop. So a value that got a label keeps it for the life of the process, and
free places go to the busiest new values at the scrape that first sees them.
"""

from __future__ import annotations

from collections.abc import Mapping

from crawlscope.events import ErrorStage, ErrorType

__all__ = ["OTHER", "StickyLabels", "error_type_label", "stage_label"]

OTHER = "other"
"""The shared label of every value beyond the limit (and of values outside a fixed set)."""

_ERROR_TYPES = frozenset({*(t.value for t in ErrorType), "unknown"})
_STAGES = frozenset(s.value for s in ErrorStage)


def error_type_label(error_type: str) -> str:
    """``error_type`` if it is one of ``events.ErrorType`` (or ``unknown``), else ``other``."""
    return error_type if error_type in _ERROR_TYPES else OTHER


def stage_label(stage: str) -> str:
    """``stage`` if it is one of ``events.ErrorStage``, else ``other`` (collectors may name
    stages of their own, which would be unbounded)."""
    return stage if stage in _STAGES else OTHER


class StickyLabels:
    """At most ``limit`` values keep their own label; once given, a label stays."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._given: set[str] = set()

    def __len__(self) -> int:
        return len(self._given)

    def admit(self, weights: Mapping[str, float]) -> None:
        """Give free places to the heaviest values of ``weights`` that have none yet
        (ties by name, so the choice does not depend on dict order)."""
        free = self.limit - len(self._given)
        if free <= 0:
            return
        new = [value for value in weights if value not in self._given and value != OTHER]
        new.sort(key=lambda value: (-weights[value], value))
        self._given.update(new[:free])

    def label(self, value: str) -> str:
        """The label ``value`` is counted under."""
        return value if value in self._given else OTHER
