"""The rollup fold: its bins are the chart series', messages normalise to one fingerprint,
and how events are split into batches does not change what they add up to."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from crawlscope.aggregate.series import DURATION_EDGES_MS, OVERFLOW_BIN, duration_bin
from crawlscope.events import EVENT_FIELDS
from crawlscope.store.event_log import event_row
from crawlscope.store.rollup_fold import DURATION_EDGES_MS as FOLD_EDGES
from crawlscope.store.rollup_fold import (
    LATENCY_BINS,
    fingerprint,
    fold,
    normalise_message,
)
from tests.store.rollup_reference import random_events


def test_bins_are_the_chart_series_bins() -> None:
    assert FOLD_EDGES == DURATION_EDGES_MS
    assert LATENCY_BINS == OVERFLOW_BIN + 1
    run = {"r": 1}
    rows = []
    for ms in (0.0, 0.99, 1.0, 12.5, 131072.0, 10**7):
        (event,) = random_events(random.Random(0), run, 1, datetime(2026, 12, 1, tzinfo=UTC))
        event.action, event.worker_id, event.duration_ms = "found", 1, ms  # type: ignore[assignment]
        rows.append(event_row(event))
    (minute,) = fold(rows, EVENT_FIELDS, lambda _: "c").minutes
    got = Counter({int(k[-2:]): v for k, v in minute.items() if k.startswith("latency_b") and v})
    assert got == Counter(duration_bin(ms) for ms in (0.0, 0.99, 1.0, 12.5, 131072.0, 10**7))


def test_messages_that_differ_in_numbers_ids_and_urls_are_one_group() -> None:
    messages = [
        "HTTP 503 for https://shop.example/p/12?page=3 after 1.5 s",
        "HTTP 502 for http://other.example/x after 20 s",
        "HTTP 500 for https://shop.example/ after 1,000 s",
    ]
    assert {normalise_message(m) for m in messages} == {"HTTP <n> for <url> after <n> s"}
    ids = [
        "item 0190b7e2-7c1a-7000-8a4f-5d2c9e1b3f00 rejected",
        "item deadbeef42 rejected",
        "item 77 rejected",
    ]
    assert {normalise_message(m) for m in ids} == {"item <id> rejected", "item <n> rejected"}
    # Words are kept: these are different errors.
    assert normalise_message("no title") != normalise_message("no price")
    assert fingerprint("timeout", "request", "x") != fingerprint("timeout", "extraction", "x")
    assert len(normalise_message("y" * 5000)) == 300


_NOT_SUMMED = ("first_minute", "last_minute", "latency_sum_ms")


def _sum(rows: list[dict[str, Any]], key: tuple[str, ...]) -> dict[tuple[Any, ...], Counter[str]]:
    """The additive figures of ``rows`` summed per ``key``."""
    out: dict[tuple[Any, ...], Counter[str]] = {}
    for row in rows:
        counts = out.setdefault(tuple(row[k] for k in key), Counter())
        counts.update({k: v for k, v in row.items() if k not in (*key, *_NOT_SUMMED) and v})
    return out


def test_splitting_events_into_batches_adds_up_to_the_same() -> None:
    rng = random.Random(5)
    rows = [
        event_row(e)
        for e in random_events(rng, {"a": 1, "b": 1}, 2000, datetime(2026, 12, 1, tzinfo=UTC))
    ]
    whole = fold(rows, EVENT_FIELDS, str.upper)
    parts = [fold(rows[i : i + 137], EVENT_FIELDS, str.upper) for i in range(0, len(rows), 137)]
    grain_key = ("collection", "site", "bucket_start")
    for name in ("minutes", "hours", "days"):
        merged = [row for part in parts for row in getattr(part, name)]
        assert _sum(merged, grain_key) == _sum(getattr(whole, name), grain_key), name
    merged_runs = [row for part in parts for row in part.runs]
    assert _sum(merged_runs, ("run_id", "collection")) == _sum(whole.runs, ("run_id", "collection"))
    # First and last minutes merge as min and max.
    assert {r["run_id"]: (r["first_minute"], r["last_minute"]) for r in whole.runs} == {
        run_id: (
            min(r["first_minute"] for r in merged_runs if r["run_id"] == run_id),
            max(r["last_minute"] for r in merged_runs if r["run_id"] == run_id),
        )
        for run_id in ("a", "b")
    }
    assert {r["collection"] for r in whole.minutes} == {"A", "B"}
