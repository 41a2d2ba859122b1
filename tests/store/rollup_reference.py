"""What the raw events say the rollups should be, computed by the database, and random events.

``expected_minutes`` counts the stored events with one ``GROUP BY`` per collection x site x
minute (plain SQL ``CASE``, and the chart series' own ``CASE`` for the latency bins): an
implementation independent of the fold the write path uses (``crawlscope.store.rollup_fold``).
Hours, days and runs are sums of those rows. ``random_events`` makes seeded batches of
every kind of event over several runs, sites, minutes, hours and days.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from crawlscope.events import Action, ActivityEvent, ErrorType
from crawlscope.store.rollup_fold import (
    ERROR_TYPES,
    METRIC_COLUMNS,
    fingerprint,
    normalise_message,
)
from crawlscope.store.rollup_schema import (
    error_group_hours,
    error_groups,
    rollup_days,
    rollup_hours,
    rollup_minutes,
    run_rollups,
)
from crawlscope.store.schema import events, runs
from crawlscope.store.series import _BIN

__all__ = [
    "COMPARED",
    "expected_error_groups",
    "expected_rollups",
    "random_events",
    "stored_error_groups",
    "stored_rollups",
]

COMPARED = tuple(name for name in METRIC_COLUMNS if name not in ("latency_sum_ms", "bytes"))
"""Every metric column but the float sum (compared with a tolerance) and bytes (from extra)."""


def _when(condition: Any, value: Any = 1) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


_W = events.c.worker_id > 0
_A = events.c.action
_REQUEST_FAILURE = sa.or_(
    _A == "rate_limited", sa.and_(_A == "error", events.c.error_stage == "request")
)
_REQUEST_END = sa.and_(_W, sa.or_(_A == "found", _REQUEST_FAILURE))


def _minute_columns() -> list[Any]:
    failures = sa.and_(_W, _REQUEST_FAILURE)
    columns = [
        sa.func.count().label("events"),
        _when(sa.and_(_W, _A == "fetching")).label("requests"),
        _when(sa.and_(_W, _A == "found")).label("successes"),
        _when(failures).label("failures"),
        _when(sa.and_(_W, _A == "retrying")).label("retries"),
        _when(sa.or_(_A == "error", sa.and_(_W, _A == "rate_limited"))).label("errors"),
        _when(sa.and_(~_W, _A == "uploading"), events.c.items_count).label("items_found"),
        _when(sa.and_(~_W, _A == "inserted"), events.c.items_count).label("items_new"),
        _when(sa.and_(~_W, _A == "updated"), events.c.items_count).label("items_updated"),
        _when(sa.and_(~_W, _A == "deduped"), events.c.items_count).label("duplicates"),
        _when(sa.and_(_W, _A == "complete", events.c.error_type.is_(None))).label("tasks_done"),
        _when(
            sa.and_(
                _W,
                _A == "complete",
                events.c.error_type.is_not(None),
                sa.or_(events.c.extra.is_(None), ~events.c.extra.contains('"requeued"')),
            )
        ).label("tasks_failed"),
        _when(sa.and_(_REQUEST_END, events.c.duration_ms.is_not(None))).label("latency_count"),
        _when(_REQUEST_END, sa.func.coalesce(events.c.duration_ms, 0.0)).label("latency_sum_ms"),
    ]
    known = list(ERROR_TYPES)
    for error_type in known:
        columns.append(
            _when(sa.and_(failures, events.c.error_type == error_type)).label(
                f"failures_{error_type}"
            )
        )
    columns.append(
        _when(
            sa.and_(
                failures,
                sa.or_(events.c.error_type.is_(None), events.c.error_type.not_in(known)),
            )
        ).label("failures_other")
    )
    return columns


def _epoch_minute(text: str) -> int:
    return int(datetime.fromisoformat(text + ":00+00:00").timestamp())


def expected_rollups(conn: sa.Connection) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Table name -> key -> metrics, from the raw events (a synchronous connection)."""
    minute = sa.func.substr(events.c.ts, 1, 16)
    site = sa.func.coalesce(events.c.site, "")
    joined = events.join(runs, runs.c.id == events.c.run_id)
    rows = conn.execute(
        sa.select(runs.c.collection, site, minute, events.c.run_id, *_minute_columns())
        .select_from(joined)
        .group_by(runs.c.collection, site, minute, events.c.run_id)
    ).all()
    bins = conn.execute(
        sa.select(runs.c.collection, site, minute, events.c.run_id, _BIN, sa.func.count())
        .select_from(joined)
        .where(_REQUEST_END, events.c.duration_ms.is_not(None))
        .group_by(runs.c.collection, site, minute, events.c.run_id, _BIN)
    ).all()
    per: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    names = [c.name for c in _minute_columns()]
    for row in rows:
        collection, site_, minute_text, run_id, *values = row
        key = (collection, site_, _epoch_minute(minute_text), run_id)
        per[key].update({n: v for n, v in zip(names, values, strict=True) if v})
    for collection, site_, minute_text, run_id, bin_index, n in bins:
        key = (collection, site_, _epoch_minute(minute_text), run_id)
        per[key][f"latency_b{int(bin_index):02d}"] += n
    out: dict[str, dict[tuple[Any, ...], Counter[str]]] = {
        "rollup_minutes": defaultdict(Counter),
        "rollup_hours": defaultdict(Counter),
        "rollup_days": defaultdict(Counter),
        "run_rollups": defaultdict(Counter),
    }
    for (collection, site_, start, run_id), counts in per.items():
        for name, width in (("rollup_minutes", 60), ("rollup_hours", 3600), ("rollup_days", 86400)):
            out[name][(collection, site_, start - start % width)].update(counts)
        out["run_rollups"][(run_id,)].update(counts)
    return {name: {k: _complete(v) for k, v in table.items()} for name, table in out.items()}


def _complete(counts: Counter[str]) -> dict[str, Any]:
    return {name: counts.get(name, 0) for name in (*COMPARED, "latency_sum_ms")}


def stored_rollups(conn: sa.Connection) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """The same shape, read from the rollup tables."""
    out: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for table in (rollup_minutes, rollup_hours, rollup_days, run_rollups):
        keys = list(table.primary_key.columns)
        metrics = [table.c[name] for name in (*COMPARED, "latency_sum_ms")]
        result = conn.execute(sa.select(*keys, *metrics)).all()
        out[table.name] = {
            tuple(row[: len(keys)]): dict(
                zip([m.name for m in metrics], row[len(keys) :], strict=True)
            )
            for row in result
        }
    return out


def expected_error_groups(conn: sa.Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """(collection, fingerprint) -> count, first/last seen and type/stage, from raw events."""
    joined = events.join(runs, runs.c.id == events.c.run_id)
    rows = conn.execute(
        sa.select(
            runs.c.collection,
            events.c.error_type,
            events.c.error_stage,
            events.c.error_message,
            events.c.ts,
        )
        .select_from(joined)
        .where(sa.or_(_A == "error", sa.and_(_W, _A == "rate_limited")))
    ).all()
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for collection, error_type, stage, message, ts in rows:
        error_type, stage = error_type or "unknown", stage or "request"
        key = (collection, fingerprint(error_type, stage, normalise_message(message)))
        group = groups.setdefault(
            key,
            {"count": 0, "first_seen": ts, "last_seen": ts, "type": error_type, "stage": stage},
        )
        group["count"] += 1
        group["first_seen"] = min(group["first_seen"], ts)
        group["last_seen"] = max(group["last_seen"], ts)
    return groups


def stored_error_groups(conn: sa.Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """The same shape from ``error_groups``; checks ``error_group_hours`` sum to the counts."""
    rows = conn.execute(sa.select(error_groups)).all()
    hours = dict(
        conn.execute(
            sa.select(
                error_group_hours.c.collection + ":" + error_group_hours.c.fingerprint,
                sa.func.sum(error_group_hours.c.count),
            ).group_by(error_group_hours.c.collection, error_group_hours.c.fingerprint)
        ).all()
    )
    out = {}
    for row in rows:
        assert hours[f"{row.collection}:{row.fingerprint}"] == row.count
        out[(row.collection, row.fingerprint)] = {
            "count": row.count,
            "first_seen": row.first_seen,
            "last_seen": row.last_seen,
            "type": row.error_type,
            "stage": row.error_stage,
        }
    return out


_MESSAGES = [
    "HTTP 503: upstream https://shop.example/p/{n}?page={m} unavailable",
    "timed out after {n}.{m} s",
    "item {hex} failed validation: price {n} < 0",
    "connection reset by peer ({n})",
    "no title in <div id=p{n}>",
]


def random_events(
    rng: random.Random, runs_: dict[str, int], n: int, start: datetime
) -> list[ActivityEvent]:
    """``n`` events spread over ``runs_`` (run id -> next seq, advanced here), three sites,
    about three days from ``start``: every action that rollups count, and some they do not."""
    out: list[ActivityEvent] = []
    run_ids = sorted(runs_)
    for _ in range(n):
        run_id = rng.choice(run_ids)
        seq = runs_[run_id]
        runs_[run_id] = seq + 1
        at = start + timedelta(seconds=rng.randrange(3 * 86400))
        ts = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z"
        site = rng.choice(["a.example", "b.example:8080", "c.example", None])
        kind = rng.random()
        fields: dict[str, Any] = {"run_id": run_id, "seq": seq, "ts": ts, "site": site}
        if kind < 0.2:
            fields.update(action=Action.FETCHING, worker_id=rng.randint(1, 4))
        elif kind < 0.4:
            fields.update(
                action=Action.FOUND,
                worker_id=rng.randint(1, 4),
                duration_ms=rng.choice([0.2, 1.0, 12.5, 250.0, 999.9, 200000.0, None]),
                extra={"bytes": rng.randint(1, 5000)} if rng.random() < 0.3 else None,
            )
        elif kind < 0.55:
            message = rng.choice(_MESSAGES).format(
                n=rng.randint(0, 10**6), m=rng.randint(0, 99), hex=f"{rng.getrandbits(40):010x}a"
            )
            fields.update(
                action=rng.choice([Action.ERROR, Action.ERROR, Action.RATE_LIMITED]),
                worker_id=rng.choice([0, 1, 2, 3]),
                error_type=rng.choice(list(ErrorType)),
                error_stage=rng.choice(["request", "extraction", "pipeline", None]),
                error_message=message if rng.random() < 0.9 else None,
                duration_ms=rng.choice([3.0, 40.0, None]),
            )
        elif kind < 0.65:
            fields.update(action=Action.RETRYING, worker_id=rng.randint(1, 4))
        elif kind < 0.8:
            failed = rng.random() < 0.3
            fields.update(
                action=Action.COMPLETE,
                worker_id=rng.randint(1, 4),
                error_type=ErrorType.TIMEOUT if failed else None,
                extra={"requeued": 1} if failed and rng.random() < 0.5 else None,
            )
        elif kind < 0.95:
            fields.update(
                action=rng.choice(
                    [Action.UPLOADING, Action.INSERTED, Action.UPDATED, Action.DEDUPED]
                ),
                worker_id=0,
                source_worker_id=rng.randint(1, 4),
                items_count=rng.randint(0, 30),
                site=None,
            )
        else:
            fields.update(action=Action.RUN_PROGRESS, worker_id=0)
        out.append(ActivityEvent(**fields))
    return out


def utc(text: str) -> datetime:
    """An aware UTC datetime from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
