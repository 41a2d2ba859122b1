"""Dataset insights per field: value counts of text fields and distributions of numeric
ones, over the items a collection's dataset holds.

Rollups count events, not item values, so this reads items themselves: the newest
``sample`` items of the collection's dataset whose last change falls in the range (a
sample, said so in the answer, so the cost is bounded whatever the dataset's size). The
fields are the ones the collection declares for data quality (``quality_fields``, as its
newest run announced them); without a declaration, the items' most common top-level keys.
Decoding and counting run in a worker thread.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import msgspec
import sqlalchemy as sa

from crawlscope.store.database import Database
from crawlscope.store.schema import dataset_items, runs

__all__ = [
    "FieldInsight",
    "FieldInsights",
    "NumericSummary",
    "ValueCount",
    "field_insights",
    "summarize_fields",
]

TOP_VALUES = 10
BINS = 10
MAX_VALUE_CHARS = 100
MAX_FIELDS = 20
_NUMERIC_SHARE = 0.8
"""A field is numeric when at least this share of its present values are numbers."""

_decode = msgspec.json.Decoder().decode


class ValueCount(msgspec.Struct, kw_only=True):
    """A value (as text, cut at 100 characters) and how many sampled items have it."""

    value: str
    count: int


class HistogramBin(msgspec.Struct, kw_only=True):
    """``[low, high)`` (the last bin includes ``high``) and its count."""

    low: float
    high: float
    count: int


class NumericSummary(msgspec.Struct, kw_only=True):
    """The numeric values of a field (``count`` of them: a numeric field may hold a few
    values of other types, invalid items being stored too): range, mean, percentiles and
    a histogram."""

    count: int
    min: float
    max: float
    mean: float
    p50: float
    p95: float
    bins: list[HistogramBin]


class FieldInsight(msgspec.Struct, kw_only=True):
    """One field over the sampled items."""

    field: str
    present: int
    """Items with a value (not missing, not null)."""
    missing: int
    kind: Literal["numeric", "values"]
    distinct: int
    top: list[ValueCount]
    """The most common values (numeric fields too: their most common exact values)."""
    numeric: NumericSummary | None = None


class FieldInsights(msgspec.Struct, kw_only=True):
    """Per-field insights of a collection's dataset."""

    collection: str
    dataset: str | None
    fields_from: Literal["request", "declared", "items"]
    """Where the fields came from: the request, the collection's declared quality fields,
    or the sampled items' most common top-level keys."""
    sampled: int
    """Items read: the newest changed in the range, at most the sample size asked for."""
    fields: list[FieldInsight]


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return text[:MAX_VALUE_CHARS]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _quantile(ordered: Sequence[float], q: float) -> float:
    index = q * (len(ordered) - 1)
    low = math.floor(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def _numeric(values: list[float]) -> NumericSummary:
    ordered = sorted(values)
    low, high = ordered[0], ordered[-1]
    width = (high - low) / BINS
    counts = [0] * BINS
    for value in ordered:
        index = BINS - 1 if width == 0 else min(int((value - low) / width), BINS - 1)
        counts[index] += 1
    bins = [
        HistogramBin(low=low + i * width, high=low + (i + 1) * width, count=c)
        for i, c in enumerate(counts)
    ]
    if width == 0:
        bins = [HistogramBin(low=low, high=high, count=len(ordered))]
    return NumericSummary(
        count=len(ordered),
        min=low,
        max=high,
        mean=sum(ordered) / len(ordered),
        p50=_quantile(ordered, 0.5),
        p95=_quantile(ordered, 0.95),
        bins=bins,
    )


def _one_field(field: str, items: list[dict[str, Any]]) -> FieldInsight:
    present = [item[field] for item in items if item.get(field) is not None]
    counts = Counter(_text(value) for value in present)
    numbers = [float(value) for value in present if _is_number(value)]
    numeric = bool(present) and len(numbers) >= _NUMERIC_SHARE * len(present)
    return FieldInsight(
        field=field,
        present=len(present),
        missing=len(items) - len(present),
        kind="numeric" if numeric else "values",
        distinct=len(counts),
        top=[ValueCount(value=v, count=c) for v, c in counts.most_common(TOP_VALUES)],
        numeric=_numeric(numbers) if numeric else None,
    )


def summarize_fields(
    rows: Sequence[str | bytes], fields: Sequence[str] | None
) -> list[FieldInsight]:
    """Insights of ``fields`` (None: the most common top-level keys) over items given as
    JSON text."""
    items = [item for item in (_decode(row) for row in rows) if isinstance(item, dict)]
    if not fields:
        keys = Counter(key for item in items for key in item)
        fields = [key for key, _ in keys.most_common(MAX_FIELDS)]
    return [_one_field(field, items) for field in fields[:MAX_FIELDS]]


def _declared_fields(frame_text: str | None) -> list[str] | None:
    if not frame_text:
        return None
    frame = _decode(frame_text)
    quality = frame.get("quality") if isinstance(frame, dict) else None
    if not isinstance(quality, dict):
        return None
    fields = [f.get("field") for f in quality.get("fields") or [] if isinstance(f, dict)]
    names = [name for name in fields if isinstance(name, str)]
    return names or None


async def field_insights(
    database: Database,
    collection: str,
    *,
    since: datetime,
    until: datetime,
    fields: Sequence[str] | None = None,
    sample: int = 5000,
) -> FieldInsights:
    """Per-field insights of ``collection``'s dataset (its newest run's) over the newest
    ``sample`` items changed in ``[since, until)``."""
    newest = (
        sa.select(runs.c.dataset, runs.c.frame)
        .where(runs.c.collection == collection, runs.c.dataset.is_not(None))
        .order_by(runs.c.created_at.desc())
        .limit(20)
    )
    async with database.connect() as conn:
        found = (await conn.execute(newest)).all()
        dataset = found[0].dataset if found else None
        rows: list[str] = []
        if dataset is not None:
            query = (
                sa.select(dataset_items.c.data)
                .where(
                    dataset_items.c.dataset == dataset,
                    dataset_items.c.updated_at >= since,
                    dataset_items.c.updated_at < until,
                )
                .order_by(dataset_items.c.updated_at.desc())
                .limit(sample)
            )
            rows = list((await conn.scalars(query)).all())
    source: Literal["request", "declared", "items"] = "request"
    if not fields:
        fields = next((names for row in found if (names := _declared_fields(row.frame))), None)
        source = "declared" if fields else "items"
    insights = await asyncio.to_thread(summarize_fields, rows, fields)
    return FieldInsights(
        collection=collection,
        dataset=dataset,
        fields_from=source,
        sampled=len(rows),
        fields=insights,
    )
