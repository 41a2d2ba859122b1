"""Hierarchical progress: named levels (categories, then products, ...) with done/total."""

from __future__ import annotations

from typing import Any

__all__ = ["Progress"]


class Progress:
    """Done and total counts per level, in the order levels were declared or first used.

    Totals may grow as the run discovers work. A level is *open* while a phase that has
    added to its total is still running, since that phase may add more: with overlapping
    phases a level can be caught up (done == total) long before its last work is known.
    Snapshots mark open levels (``"open": true``) so the dashboard shows neither 100 %
    nor an ETA of zero for them. ``dirty`` tells the runner a new ``run_progress`` event
    is due; it emits at most a few per second.
    """

    def __init__(self, levels: tuple[str, ...] = ()) -> None:
        self._levels: dict[str, list[int]] = {name: [0, 0] for name in levels}
        self._sources: dict[str, set[str]] = {}
        """Per level, the phases that added to its total."""
        self._ended: set[str] = set()
        self.dirty = bool(levels)

    def _level(self, level: str) -> list[int]:
        counts = self._levels.get(level)
        if counts is None:
            counts = self._levels[level] = [0, 0]
        return counts

    def _source(self, level: str, phase: str | None) -> None:
        if phase is not None and phase not in self._ended:
            sources = self._sources.get(level)
            if sources is None:
                sources = self._sources[level] = set()
            sources.add(phase)

    def add_total(self, level: str, amount: int, phase: str | None = None) -> None:
        """More work discovered at ``level`` (by a task of ``phase``, if given)."""
        self._level(level)[1] += amount
        self._source(level, phase)
        self.dirty = True

    def set_total(self, level: str, total: int, phase: str | None = None) -> None:
        """The total at ``level`` is now known to be ``total``."""
        self._level(level)[1] = total
        self._source(level, phase)
        self.dirty = True

    def advance(self, level: str, amount: int = 1) -> None:
        """``amount`` units finished at ``level``."""
        self._level(level)[0] += amount
        self.dirty = True

    def phase_ended(self, phase: str) -> None:
        """``phase`` has finished: the levels it fed are final unless another phase feeds them."""
        self._ended.add(phase)
        for sources in self._sources.values():
            if phase in sources:
                sources.discard(phase)
                self.dirty = True

    def get(self, level: str) -> tuple[int, int]:
        """``(done, total)`` of a level."""
        done, total = self._levels.get(level, (0, 0))
        return done, total

    def is_open(self, level: str) -> bool:
        """Whether a running phase may still add to the level's total."""
        return bool(self._sources.get(level))

    def counts(self) -> list[dict[str, Any]]:
        """The levels with their counts and open flags, as ``snapshot`` gives them (plus
        the phases feeding each open level, for a resumed run), leaving ``dirty``."""
        levels = self._levels_out()
        for level in levels:
            if level.get("open"):
                level["sources"] = sorted(self._sources[level["level"]])
        return levels

    def restore(self, levels: list[dict[str, Any]]) -> None:
        """Take up saved counts (a resumed run's), as ``counts`` gave them."""
        for level in levels:
            name = str(level.get("level"))
            counts = self._level(name)
            counts[0] = int(level.get("done", 0))
            counts[1] = int(level.get("total", 0))
            for phase in level.get("sources") or ():
                self._source(name, str(phase))
        self.dirty = True

    def snapshot(self) -> list[dict[str, Any]]:
        """The levels as the ``run_progress`` event carries them; clears ``dirty``."""
        self.dirty = False
        return self._levels_out()

    def _levels_out(self) -> list[dict[str, Any]]:
        sources = self._sources
        out: list[dict[str, Any]] = []
        for name, (done, total) in self._levels.items():
            level: dict[str, Any] = {"level": name, "done": done, "total": total}
            if sources.get(name):
                level["open"] = True
            out.append(level)
        return out
