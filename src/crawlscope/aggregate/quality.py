"""Live data quality of a run, folded from its events.

``run_started``'s ``extra.quality`` names the quality fields (so the card shows them, in
declared order, before any item arrives) and the schema's kind; every ``uploading`` event
with ``extra.quality`` adds one batch's counts (``crawlscope.runner.quality``). Nothing
else is read, so a stored run's card is rebuilt from its events exactly.
"""

from __future__ import annotations

from typing import Any

from crawlscope.aggregate.frames import FieldQuality, QualityCard

__all__ = ["QualityTally"]

_ITEM = "$"  # errors outside the quality fields (crawlscope.runner.quality.ITEM)


class QualityTally:
    """Running sums of the batches' quality counts; ``card`` renders them."""

    __slots__ = ("checked", "errors", "invalid", "present", "schema")

    def __init__(self) -> None:
        self.checked = 0
        self.invalid = 0
        self.schema: str | None = None
        # Insertion order is display order: the declared fields first, then any field a
        # batch names that was not declared (a runner of another version, say).
        self.present: dict[str, int] = {}
        self.errors: dict[str, int] = {}

    def declare(self, quality: dict[str, Any]) -> None:
        """``run_started``'s ``extra.quality``: the fields, in order, and the schema kind."""
        for name in quality.get("fields") or ():
            self.present.setdefault(str(name), 0)
        schema = quality.get("schema")
        self.schema = str(schema) if schema is not None else self.schema

    def add(self, quality: dict[str, Any]) -> None:
        """One batch's ``extra.quality``."""
        self.checked += int(quality.get("checked", 0))
        self.invalid += int(quality.get("invalid", 0))
        present = self.present
        for name, count in (quality.get("present") or {}).items():
            present[name] = present.get(name, 0) + int(count)
        errors = self.errors
        for name, count in (quality.get("errors") or {}).items():
            errors[name] = errors.get(name, 0) + int(count)

    def card(self) -> QualityCard:
        """The run's quality card: totals, and per field its coverage and errors."""
        checked = self.checked
        errors = self.errors
        fields = [
            FieldQuality(
                field=name,
                present=count,
                coverage=round(count / checked, 4) if checked else 0.0,
                errors=errors.get(name, 0),
            )
            for name, count in self.present.items()
        ]
        # An error under a name that is not a quality field can only come from another
        # runner's version; it is still an error, so it is not lost.
        other = sum(count for name, count in errors.items() if name not in self.present)
        return QualityCard(
            checked=checked,
            invalid=self.invalid,
            schema=self.schema,
            fields=fields,
            other_errors=other,
        )
