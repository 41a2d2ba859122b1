"""Hierarchical progress: named levels (categories, then products, ...) with done/total."""

from __future__ import annotations

from typing import Any

__all__ = ["Progress"]


class Progress:
    """Done and total counts per level, in the order levels were declared or first used.

    Totals may grow as the run discovers work. ``dirty`` tells the runner a new
    ``run_progress`` event is due; it emits at most a few per second.
    """

    def __init__(self, levels: tuple[str, ...] = ()) -> None:
        self._levels: dict[str, list[int]] = {name: [0, 0] for name in levels}
        self.dirty = bool(levels)

    def _level(self, level: str) -> list[int]:
        counts = self._levels.get(level)
        if counts is None:
            counts = self._levels[level] = [0, 0]
        return counts

    def add_total(self, level: str, amount: int) -> None:
        """More work discovered at ``level``."""
        self._level(level)[1] += amount
        self.dirty = True

    def set_total(self, level: str, total: int) -> None:
        """The total at ``level`` is now known to be ``total``."""
        self._level(level)[1] = total
        self.dirty = True

    def advance(self, level: str, amount: int = 1) -> None:
        """``amount`` units finished at ``level``."""
        self._level(level)[0] += amount
        self.dirty = True

    def get(self, level: str) -> tuple[int, int]:
        """``(done, total)`` of a level."""
        done, total = self._levels.get(level, (0, 0))
        return done, total

    def counts(self) -> list[dict[str, Any]]:
        """The levels with their counts, as ``snapshot`` gives them, leaving ``dirty``."""
        return [
            {"level": name, "done": done, "total": total}
            for name, (done, total) in self._levels.items()
        ]

    def restore(self, levels: list[dict[str, Any]]) -> None:
        """Take up saved counts (a resumed run's), as ``counts`` gave them."""
        for level in levels:
            counts = self._level(str(level.get("level")))
            counts[0] = int(level.get("done", 0))
            counts[1] = int(level.get("total", 0))
        self.dirty = True

    def snapshot(self) -> list[dict[str, Any]]:
        """The levels as the ``run_progress`` event carries them; clears ``dirty``."""
        self.dirty = False
        return [
            {"level": name, "done": done, "total": total}
            for name, (done, total) in self._levels.items()
        ]
