"""A run's chart series computed in the database (``GET /api/runs/{id}/series``).

Two ``GROUP BY`` queries over the run's events, by the second of ``ts`` (``substr(ts, 1,
19)``: ``ts`` is ISO text, so this is the same SQL on SQLite and PostgreSQL), return a few
rows per second of the run however many events it has: counts per action and error
type, and per-second histograms of request durations over the fixed log-spaced bins of
``crawlscope.aggregate.series`` (a ``CASE`` made of literals). Bucketing and percentiles
happen in Python on those rows (``build_series``).

A run that has ended does not change, so its series is kept in a small LRU cache keyed by
run id and point count, checked against the row's ``last_seq`` and ``ended_at`` in case
the run is revived (a remote runner reporting again) and ends a second time.

When retention deletes a run's raw events (``crawlscope.store.retention``) it first saves
these tallies (``snapshot``: per second for runs of up to ``SNAPSHOT_PER_SECOND_S``, per
minute for longer ones) on the run's ``run_rollups`` row; a pruned run's series is built
from them, so its charts stay (at minute resolution for longer runs).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from crawlscope.aggregate.series import (
    DURATION_EDGES_MS,
    OVERFLOW_BIN,
    RunSeries,
    SecondTallies,
    bucket_layout,
    build_series,
    epoch_second,
)
from crawlscope.events import Action, ErrorStage
from crawlscope.status import TERMINAL_STATUSES
from crawlscope.store.database import Database
from crawlscope.store.rollup_schema import run_rollups
from crawlscope.store.schema import events, runs

__all__ = ["SNAPSHOT_PER_SECOND_S", "SeriesStore"]

SNAPSHOT_PER_SECOND_S = 900
"""Runs up to this long (seconds) keep per-second tallies when their events are pruned."""


class _Snapshot(msgspec.Struct):
    """A run's tallies as saved when its raw events were pruned."""

    granularity: int
    requests: dict[int, int]
    items: dict[int, int]
    errors: dict[int, dict[str, int]]
    latency: dict[int, dict[int, int]]


_encode_snapshot = msgspec.json.Encoder().encode
_decode_snapshot = msgspec.json.Decoder(_Snapshot).decode


def _literal(value: object) -> Any:
    # Literals rather than bind parameters: PostgreSQL only accepts a GROUP BY
    # expression that matches the SELECT's text exactly, and two renderings of one
    # expression with bound values ($1 vs $3) do not.
    return sa.literal_column(repr(value))


# Tallies are kept per second, or per minute when buckets are a minute or wider: a
# ten-hour run then reads about 40,000 grouped rows instead of 280,000, which SQLAlchemy
# turns into rows on the event loop (about 1 µs each: 240 ms of blocked loop, measured).
_PERIOD_TEXT = {1: 19, 60: 16}  # characters of the ISO time: up to seconds, up to minutes


def _period(granularity: int) -> Any:
    return sa.func.substr(events.c.ts, _literal(1), _literal(_PERIOD_TEXT[granularity])).label(
        "second"
    )


_BIN = sa.case(
    *[
        (events.c.duration_ms < _literal(edge), _literal(index))
        for index, edge in enumerate(DURATION_EDGES_MS)
    ],
    else_=_literal(OVERFLOW_BIN),
).label("bin")

_COUNTED = [Action.FETCHING, Action.UPLOADING, Action.ERROR, Action.RATE_LIMITED]
# What ends a request attempt and carries its duration: the same events that feed the
# live per-site latency (``SiteTally``).
_REQUEST_END = sa.or_(
    events.c.action.in_([Action.FOUND.value, Action.RATE_LIMITED.value]),
    sa.and_(
        events.c.action == Action.ERROR.value,
        events.c.error_stage == ErrorStage.REQUEST.value,
    ),
)


def _counts_query(run_id: str, granularity: int) -> Any:
    period = _period(granularity)
    return (
        sa.select(
            period,
            events.c.action,
            events.c.error_type,
            sa.func.count().label("n"),
            sa.func.sum(events.c.items_count).label("items"),
        )
        .where(events.c.run_id == run_id, events.c.action.in_([a.value for a in _COUNTED]))
        .group_by(period, events.c.action, events.c.error_type)
    )


def _latency_query(run_id: str, granularity: int) -> Any:
    period = _period(granularity)
    return (
        sa.select(period, _BIN, sa.func.count().label("n"))
        .where(events.c.run_id == run_id, events.c.duration_ms.is_not(None), _REQUEST_END)
        .group_by(period, _BIN)
    )


_Cached = tuple[int, datetime | None, RunSeries]


class _Bounds:
    """The run row's fields the series needs; ``start``/``end`` None when not known."""

    __slots__ = ("end", "ended", "ended_at", "last_seq", "start")

    def __init__(self, row: Any, now: datetime) -> None:
        self.ended: bool = row.status in TERMINAL_STATUSES
        self.ended_at: datetime | None = row.ended_at
        self.last_seq: int = row.last_seq
        self.start: int | None = int((row.started_at or row.created_at).timestamp())
        if not self.ended:
            self.end: int | None = int(now.timestamp())
        else:
            self.end = int(row.ended_at.timestamp()) if row.ended_at else None

    def granularity(self, points: int) -> int:
        """60 (tally per minute) when the run's buckets will be a minute or wider, else 1."""
        if self.start is None or self.end is None:
            return 1
        width, _ = bucket_layout(self.start, max(self.start, self.end), points)
        return 60 if width >= 60 else 1


class SeriesStore:
    """Computes runs' chart series from the stored events; caches those of ended runs."""

    def __init__(self, database: Database, cache_size: int = 64) -> None:
        self.database = database
        self.cache_size = cache_size
        # (run_id, points) -> (last_seq, ended_at, series) of an ended run
        self._cache: collections.OrderedDict[tuple[str, int], _Cached] = collections.OrderedDict()

    async def series(
        self, run_id: str, points: int, *, now: datetime | None = None
    ) -> RunSeries | None:
        """The run's series in at most ``points`` buckets; None if the run is unknown.

        Buckets span the run from its start to its end (or ``now`` while it is active).
        """
        async with self.database.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        runs.c.status,
                        runs.c.created_at,
                        runs.c.started_at,
                        runs.c.ended_at,
                        runs.c.last_seq,
                        runs.c.events_pruned_at,
                    ).where(runs.c.id == run_id)
                )
            ).first()
            if row is None:
                return None
            bounds = _Bounds(row, now or datetime.now(UTC))
            key = (run_id, points)
            if bounds.ended:
                cached = self._cache.get(key)
                if cached is not None and cached[:2] == (bounds.last_seq, bounds.ended_at):
                    self._cache.move_to_end(key)
                    return cached[2]
            granularity = bounds.granularity(points)
            if row.events_pruned_at is not None:
                granularity, tallies = await self._saved(conn, run_id, granularity)
            else:
                tallies = await self._tallies(conn, run_id, granularity)
        # A start or end the row does not give (ended without an end time) is taken
        # from the events.
        seconds = tallies.seconds()
        start, end = bounds.start, bounds.end
        if start is None:
            start = min(seconds) if seconds else end
        if end is None:
            end = max(seconds) if seconds else start
        if start is None or end is None:  # neither known, and no events
            start = end = int((now or datetime.now(UTC)).timestamp())
        result = await asyncio.to_thread(
            build_series, run_id, tallies, start, end, points, granularity
        )
        if bounds.ended:
            self._cache[key] = (bounds.last_seq, bounds.ended_at, result)
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    async def snapshot(self, conn: Any, run_id: str) -> str:
        """The run's tallies as JSON, to be saved before its raw events are deleted."""
        row = (
            await conn.execute(
                sa.select(runs.c.created_at, runs.c.started_at, runs.c.ended_at).where(
                    runs.c.id == run_id
                )
            )
        ).first()
        granularity = 60
        if row is not None and row.ended_at is not None:
            began = row.started_at or row.created_at
            if (row.ended_at - began).total_seconds() <= SNAPSHOT_PER_SECOND_S:
                granularity = 1
        tallies = await self._tallies(conn, run_id, granularity)
        saved = _Snapshot(
            granularity, tallies.requests, tallies.items, tallies.errors, tallies.latency
        )
        return _encode_snapshot(saved).decode()

    @staticmethod
    async def _saved(conn: Any, run_id: str, wanted: int) -> tuple[int, SecondTallies]:
        """The tallies saved when the run's events were pruned, and their granularity."""
        text = await conn.scalar(
            sa.select(run_rollups.c.series).where(run_rollups.c.run_id == run_id)
        )
        if not text:
            return wanted, SecondTallies()
        saved = _decode_snapshot(text)
        tallies = SecondTallies(saved.requests, saved.items, saved.errors, saved.latency)
        return max(saved.granularity, wanted), tallies

    @staticmethod
    async def _tallies(conn: Any, run_id: str, granularity: int) -> SecondTallies:
        counts = (await conn.execute(_counts_query(run_id, granularity))).all()
        latency = (await conn.execute(_latency_query(run_id, granularity))).all()
        # A long run has a few rows per second of it (about 150,000 for ten hours): folded on
        # the event loop that blocked every stream for up to 180 ms, measured; in a thread the
        # loop keeps its turn every switch interval.
        return await asyncio.to_thread(_fold, counts, latency)


def _fold(counts: Sequence[Any], latency: Sequence[Any]) -> SecondTallies:
    """Per-second tallies from the rows of the counts and latency queries."""
    tallies = SecondTallies()
    parsed: dict[str, int | None] = {}

    def second_of(text: str) -> int | None:
        if text not in parsed:
            parsed[text] = epoch_second(text)
        return parsed[text]

    for text, action, error_type, n, items in counts:
        second = second_of(text)
        if second is None:
            continue
        if action == Action.FETCHING:
            tallies.requests[second] = tallies.requests.get(second, 0) + n
        elif action == Action.UPLOADING:
            tallies.items[second] = tallies.items.get(second, 0) + int(items or 0)
        else:
            by_type = tallies.errors.setdefault(second, {})
            kind = error_type or "unknown"  # as the aggregator counts it
            by_type[kind] = by_type.get(kind, 0) + n
    for text, bin_index, n in latency:
        second = second_of(text)
        if second is None:
            continue
        bins = tallies.latency.setdefault(second, {})
        bins[int(bin_index)] = bins.get(int(bin_index), 0) + n
    return tallies
