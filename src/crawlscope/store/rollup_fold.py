"""Folding a batch of event rows into rollup rows, in memory, before they are upserted.

The same fold runs in two places: in the event writer process (``event_writer.py``, which
loads this file by path and may import nothing of crawlscope, so this module imports only
the standard library) and in-process for PostgreSQL and inline SQLite
(``crawlscope.store.rollups``). A batch of 1,000 events becomes a few dozen rows: one per
run x site x minute touched, merged upwards into collection x site x minute, x hour and
x day rows, one row per run, and one row per error fingerprint (and per fingerprint and
hour). Those are upserted by adding to what is stored, so folding a batch costs a few
statements, not one per event, and splitting events over batches changes nothing.

What counts as what mirrors ``crawlscope.aggregate.run_aggregate`` (the run's totals):
worker events (``worker_id`` > 0) count requests (``fetching``), successes (``found``),
request failures (``rate_limited``, or ``error`` at stage ``request``) by error type,
retries and finished or failed tasks; pipeline events of worker 0 count items found
(``uploading``), new, updated and duplicates; every ``error`` and ``rate_limited`` event
counts as an error and is grouped by fingerprint. Latency is a histogram over the bins of
``crawlscope.aggregate.series`` (``DURATION_EDGES_MS``; a test checks they agree) of the
events that end a request attempt, as the run's chart series counts them.

Rows are sequences in the order of the event's fields (``EVENT_FIELDS``); actions and
error types may be plain strings (the writer process) or ``StrEnum`` members.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

__all__ = [
    "DURATION_EDGES_MS",
    "ERROR_TYPES",
    "LATENCY_BINS",
    "LATENCY_COLUMNS",
    "METRIC_COLUMNS",
    "RollupBatch",
    "fingerprint",
    "fold",
    "normalise_message",
]

DURATION_EDGES_MS: Final = tuple(round(2 ** (k / 4), 3) for k in range(69))
"""The same edges as ``crawlscope.aggregate.series.DURATION_EDGES_MS`` (not imported: the
writer process loads this file alone)."""
LATENCY_BINS: Final = len(DURATION_EDGES_MS) + 1
LATENCY_COLUMNS: Final = tuple(f"latency_b{i:02d}" for i in range(LATENCY_BINS))

ERROR_TYPES: Final = (
    "rate_limit",
    "timeout",
    "connection",
    "http_4xx",
    "http_5xx",
    "parse_error",
    "handler_error",
    "api_error",
    "cancelled",
)
"""Error types with a column of their own (``failures_<type>``); others count as ``other``."""

_COUNTERS: Final = (
    "events",
    "requests",
    "successes",
    "failures",
    "retries",
    "errors",
    "items_found",
    "items_new",
    "items_updated",
    "duplicates",
    "tasks_done",
    "tasks_failed",
    "bytes",
    "latency_count",
    "latency_sum_ms",
)
_FAILURE_COLUMNS: Final = (*(f"failures_{t}" for t in ERROR_TYPES), "failures_other")
METRIC_COLUMNS: Final = (*_COUNTERS, *_FAILURE_COLUMNS, *LATENCY_COLUMNS)
"""Every additive column of a rollup row, in accumulator order."""

(
    _EVENTS,
    _REQUESTS,
    _SUCCESSES,
    _FAILURES,
    _RETRIES,
    _ERRORS,
    _ITEMS_FOUND,
    _ITEMS_NEW,
    _ITEMS_UPDATED,
    _DUPLICATES,
    _TASKS_DONE,
    _TASKS_FAILED,
    _BYTES,
    _LAT_COUNT,
    _LAT_SUM,
) = range(len(_COUNTERS))
_FAILURE_AT: Final = {t: len(_COUNTERS) + i for i, t in enumerate(ERROR_TYPES)}
_FAILURE_OTHER: Final = len(_COUNTERS) + len(ERROR_TYPES)
_LATENCY_AT: Final = len(_COUNTERS) + len(_FAILURE_COLUMNS)
_WIDTH: Final = len(METRIC_COLUMNS)

_PIPELINE: Final = {
    "uploading": _ITEMS_FOUND,
    "inserted": _ITEMS_NEW,
    "updated": _ITEMS_UPDATED,
    "deduped": _DUPLICATES,
}
_PATTERN_MAX: Final = 300
_EXAMPLE_MAX: Final = 1000

# Numbers, ids and URLs vary between occurrences of one error; the rest names it.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_HEX_ID = re.compile(r"\b(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPACE = re.compile(r"\s+")


def normalise_message(message: str | None) -> str:
    """The message with URLs, ids and numbers replaced (``<url>``, ``<id>``, ``<n>``)."""
    if not message:
        return ""
    text = _URL.sub("<url>", message)
    text = _UUID.sub("<id>", text)
    text = _HEX_ID.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    return _SPACE.sub(" ", text).strip()[:_PATTERN_MAX]


def fingerprint(error_type: str, stage: str, pattern: str) -> str:
    """A short stable id of an error group (type, stage and normalised message)."""
    key = f"{error_type}\x1f{stage}\x1f{pattern}".encode()
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:16]


class RollupBatch:
    """The rows one batch adds, as dicts keyed by column name, sorted by their keys (so
    concurrent writers on PostgreSQL lock rows in the same order)."""

    __slots__ = ("days", "error_groups", "error_hours", "hours", "minutes", "runs")

    def __init__(self) -> None:
        self.minutes: list[dict[str, Any]] = []
        self.hours: list[dict[str, Any]] = []
        self.days: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self.error_groups: list[dict[str, Any]] = []
        self.error_hours: list[dict[str, Any]] = []

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """``(table name, rows)`` for every table with rows, in a fixed order."""
        pairs = [
            ("rollup_minutes", self.minutes),
            ("rollup_hours", self.hours),
            ("rollup_days", self.days),
            ("run_rollups", self.runs),
            ("error_groups", self.error_groups),
            ("error_group_hours", self.error_hours),
        ]
        return [(name, rows) for name, rows in pairs if rows]


class _Fields:
    """Positions of the fields the fold reads in a row."""

    def __init__(self, fields: Sequence[str]) -> None:
        at = {name: i for i, name in enumerate(fields)}
        self.run_id = at["run_id"]
        self.action = at["action"]
        self.worker_id = at["worker_id"]
        self.id = at["id"]
        self.ts = at["ts"]
        self.site = at["site"]
        self.duration_ms = at["duration_ms"]
        self.error_type = at["error_type"]
        self.error_stage = at["error_stage"]
        self.error_message = at["error_message"]
        self.items_count = at["items_count"]
        self.extra = at["extra"]


_minute_epochs: dict[str, int] = {}


def _minute_epoch(minute: str) -> int:
    """``2026-11-22T09:54`` -> Unix seconds of that minute (UTC); cached."""
    epoch = _minute_epochs.get(minute)
    if epoch is None:
        try:
            parts = (
                int(minute[0:4]),
                int(minute[5:7]),
                int(minute[8:10]),
                int(minute[11:13]),
                int(minute[14:16]),
            )
            epoch = calendar.timegm((*parts, 0, 0, 0, 0))
        except ValueError:
            epoch = 0  # not a time: counted at the epoch rather than lost
        if len(_minute_epochs) > 100_000:
            _minute_epochs.clear()
        _minute_epochs[minute] = epoch
    return epoch


def _extra(text: Any) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _fold_event(acc: list[Any], row: Sequence[Any], f: _Fields) -> bool:
    """Count one event into ``acc``; whether it is an error (to be grouped)."""
    acc[_EVENTS] += 1
    action = row[f.action]
    if row[f.worker_id]:
        if action == "fetching":
            acc[_REQUESTS] += 1
            return False
        if action == "found":
            acc[_SUCCESSES] += 1
            _request_end(acc, row, f)
            return False
        if action == "error" or action == "rate_limited":
            acc[_ERRORS] += 1
            if action == "rate_limited" or row[f.error_stage] == "request":
                acc[_FAILURES] += 1
                acc[_FAILURE_AT.get(row[f.error_type], _FAILURE_OTHER)] += 1
                _request_end(acc, row, f)
            return True
        if action == "retrying":
            acc[_RETRIES] += 1
        elif action == "complete":
            if row[f.error_type] is None:
                acc[_TASKS_DONE] += 1
            elif not (row[f.extra] is not None and _extra(row[f.extra]).get("requeued")):
                acc[_TASKS_FAILED] += 1
        return False
    at = _PIPELINE.get(action)
    if at is not None:
        acc[at] += row[f.items_count] or 0
        return False
    if action == "error":
        acc[_ERRORS] += 1
        return True
    return False


def _request_end(acc: list[Any], row: Sequence[Any], f: _Fields) -> None:
    duration = row[f.duration_ms]
    if duration is not None:
        acc[_LAT_COUNT] += 1
        acc[_LAT_SUM] += duration
        acc[_LATENCY_AT + bisect_right(DURATION_EDGES_MS, duration)] += 1
    extra = row[f.extra]
    if extra is not None:
        size = _extra(extra).get("bytes")
        if isinstance(size, int) and size > 0:
            acc[_BYTES] += size


def _merge(into: list[Any], acc: list[Any]) -> None:
    for i, value in enumerate(acc):
        if value:
            into[i] += value


def _metrics(acc: list[Any]) -> dict[str, Any]:
    row = dict(zip(METRIC_COLUMNS, acc, strict=True))
    row["latency_sum_ms"] = float(acc[_LAT_SUM])
    return row


_FieldCache = dict[tuple[str, ...], _Fields]
_fields_cache: _FieldCache = {}


def fold(
    rows: Iterable[Sequence[Any]],
    fields: Sequence[str],
    collection_of: Callable[[str], str],
) -> RollupBatch:
    """Fold event rows (in ``fields`` order) into the rollup rows they add.

    ``collection_of`` maps a run id to its collection (the runs row's).
    """
    key_fields = tuple(fields)
    f = _fields_cache.get(key_fields)
    if f is None:
        f = _fields_cache[key_fields] = _Fields(fields)
    per_minute: dict[tuple[str, str, str], list[Any]] = {}
    errors: list[Sequence[Any]] = []
    # Locals, and ``fetching`` (half of a crawl's events) counted inline: this loop runs
    # in the writer process for every event stored.
    get = per_minute.get
    run_at, site_at, ts_at, action_at, worker_at = f.run_id, f.site, f.ts, f.action, f.worker_id
    duration_at, extra_at = f.duration_ms, f.extra
    edges = DURATION_EDGES_MS
    for row in rows:
        key = (row[run_at], row[site_at] or "", row[ts_at][:16])
        acc = get(key)
        if acc is None:
            acc = per_minute[key] = [0] * _WIDTH
            acc[_LAT_SUM] = 0.0
        action = row[action_at]
        if action == "fetching" and row[worker_at]:
            acc[_EVENTS] += 1
            acc[_REQUESTS] += 1
        elif action == "found" and row[worker_at] and row[extra_at] is None:
            # ``_fold_event`` and ``_request_end``, inline (what they do for ``found``).
            acc[_EVENTS] += 1
            acc[_SUCCESSES] += 1
            duration = row[duration_at]
            if duration is not None:
                acc[_LAT_COUNT] += 1
                acc[_LAT_SUM] += duration
                acc[_LATENCY_AT + bisect_right(edges, duration)] += 1
        elif _fold_event(acc, row, f):
            errors.append(row)
    batch = RollupBatch()
    _merge_up(batch, per_minute, collection_of)
    if errors:
        _group_errors(batch, errors, f, collection_of)
    return batch


def _merge_up(
    batch: RollupBatch,
    per_minute: dict[tuple[str, str, str], list[Any]],
    collection_of: Callable[[str], str],
) -> None:
    grains: list[dict[tuple[str, str, int], list[Any]]] = [{}, {}, {}]
    runs: dict[str, tuple[str, int, int, list[Any]]] = {}
    for (run_id, site, minute_text), acc in per_minute.items():
        collection = collection_of(run_id)
        minute = _minute_epoch(minute_text)
        for grain, start in zip(
            grains, (minute, minute - minute % 3600, minute - minute % 86400), strict=True
        ):
            key = (collection, site, start)
            into = grain.get(key)
            if into is None:
                grain[key] = list(acc)
            else:
                _merge(into, acc)
        run = runs.get(run_id)
        if run is None:
            runs[run_id] = (collection, minute, minute, list(acc))
        else:
            _merge(run[3], acc)
            runs[run_id] = (collection, min(run[1], minute), max(run[2], minute), run[3])
    for grain, out in zip(grains, (batch.minutes, batch.hours, batch.days), strict=True):
        for (collection, site, start), acc in sorted(grain.items()):
            row = _metrics(acc)
            row.update(collection=collection, site=site, bucket_start=start)
            out.append(row)
    for run_id, (collection, first, last, acc) in sorted(runs.items()):
        row = _metrics(acc)
        row.update(run_id=run_id, collection=collection, first_minute=first, last_minute=last)
        batch.runs.append(row)


def _group_errors(
    batch: RollupBatch,
    errors: list[Sequence[Any]],
    f: _Fields,
    collection_of: Callable[[str], str],
) -> None:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    hours: dict[tuple[str, str, int], int] = {}
    for row in errors:
        error_type = str(row[f.error_type] or "unknown")
        stage = str(row[f.error_stage] or "request")
        message = row[f.error_message]
        pattern = normalise_message(message)
        print_ = fingerprint(error_type, stage, pattern)
        collection = collection_of(row[f.run_id])
        ts = row[f.ts]
        group = groups.get((collection, print_))
        if group is None:
            group = groups[(collection, print_)] = {
                "collection": collection,
                "fingerprint": print_,
                "error_type": error_type,
                "error_stage": stage,
                "pattern": pattern,
                "count": 0,
                "first_seen": ts,
                "last_seen": ts,
            }
        group["count"] += 1
        group["first_seen"] = min(group["first_seen"], ts)
        if ts >= group["last_seen"]:
            # The newest example: the one least likely to have been pruned already.
            group["last_seen"] = ts
            group["example_event_id"] = row[f.id]
            group["example_run_id"] = row[f.run_id]
            group["example_message"] = (message or "")[:_EXAMPLE_MAX]
        minute = _minute_epoch(ts[:16])
        hour_key = (collection, print_, minute - minute % 3600)
        hours[hour_key] = hours.get(hour_key, 0) + 1
    batch.error_groups = [groups[key] for key in sorted(groups)]
    batch.error_hours = [
        {"collection": c, "fingerprint": p, "bucket_start": start, "count": n}
        for (c, p, start), n in sorted(hours.items())
    ]
