"""The runs table: one row per run, updated as it goes and frozen when it ends."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from crawlscope.aggregate.frames import ProgressLevel, RunFrame, RunTotals
from crawlscope.status import ACTIVE_STATUSES, RunStatus
from crawlscope.store.database import Database
from crawlscope.store.schema import TOTAL_COLUMNS, runs
from crawlscope.timestamps import format_ts, seconds_between, utc_now

__all__ = ["DayTotals", "RunRecord", "RunStore", "RunSummary", "StatusChange"]

_encode = msgspec.json.Encoder().encode


class _RunRow(msgspec.Struct, kw_only=True):
    """The fields a stored run and its list entry share."""

    id: str
    collection: str
    status: RunStatus
    params: dict[str, Any]
    origin: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    paused_reason: str | None = None
    error: str | None = None
    finish_reason: str | None = None
    dataset: str | None = None
    dataset_size: int | None = None
    last_seq: int = 0
    totals: RunTotals = msgspec.field(default_factory=RunTotals)
    progress: list[ProgressLevel] = []
    events_pruned_at: datetime | None = None
    """When retention deleted the run's raw events (its frame, totals and rollups stay)."""


class RunSummary(_RunRow, kw_only=True):
    """One run in a list (``GET /api/runs``, the overview): the stored row without its frame."""

    duration_s: float | None = None


class RunRecord(_RunRow, kw_only=True):
    """A stored run. ``frame`` (workers, sites, errors) is loaded only by ``get``."""

    updated_at: datetime | None = None
    heartbeat_at: datetime | None = None
    frame: RunFrame | None = None

    def summary(self) -> RunSummary:
        """The row as lists show it (no frame), with its duration so far."""
        shared = {name: getattr(self, name) for name in _RunRow.__struct_fields__}
        return RunSummary(**shared, duration_s=seconds_between(self.started_at, self.ended_at))

    @property
    def last_sign_of_life(self) -> datetime:
        """When its runner was last heard of: heartbeat, else last update, else creation."""
        return self.heartbeat_at or self.updated_at or self.created_at


class DayTotals(msgspec.Struct, kw_only=True):
    """Sums over the runs created since a moment (the overview's "today")."""

    since: datetime
    runs: int = 0
    requests: int = 0
    items: int = 0
    new_items: int = 0
    errors: int = 0


class StatusChange(msgspec.Struct, frozen=True, kw_only=True):
    """A status set outside the event flow (``interrupted``; ``running`` when revived)."""

    status: RunStatus
    ended_at: datetime | None = None
    """Set for a terminal status: when the run really stopped (its last sign of life)."""
    last_seq: int | None = None
    """The newest stored seq, when the row lagged behind its events (a runner killed)."""
    finish_reason: str | None = None
    """Why, for a terminal status (``its runner stopped reporting ...``)."""


class _Breakdown(msgspec.Struct, kw_only=True):
    """The ``breakdown`` column: the counts by type and stage of ``RunTotals``."""

    failures_by_type: dict[str, int] = {}
    errors_by_type: dict[str, int] = {}
    errors_by_stage: dict[str, int] = {}


_decode_breakdown = msgspec.json.Decoder(_Breakdown).decode
_decode_frame = msgspec.json.Decoder(RunFrame).decode
_decode_progress = msgspec.json.Decoder(list[ProgressLevel]).decode
_decode_params = msgspec.json.Decoder(dict[str, Any]).decode


def _status_filter(stmt: Any, status: str | Collection[str] | None) -> Any:
    if status is None:
        return stmt
    if isinstance(status, str):
        return stmt.where(runs.c.status == status)
    return stmt.where(runs.c.status.in_([str(s) for s in status]))


_LIST_COLUMNS = [c for c in runs.c if c.name != "frame"]
_TOTALS_SUMMED = ("requests", "items_found", "new_items", "errors")


def _totals(values: Mapping[str, Any]) -> RunTotals:
    breakdown = _decode_breakdown(values.get("breakdown") or "{}")
    return RunTotals(
        **{name: int(values[name] or 0) for name in TOTAL_COLUMNS},
        failures_by_type=breakdown.failures_by_type,
        errors_by_type=breakdown.errors_by_type,
        errors_by_stage=breakdown.errors_by_stage,
    )


def _totals_values(totals: RunTotals) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(totals, name) for name in TOTAL_COLUMNS}
    values["breakdown"] = _encode(
        _Breakdown(
            failures_by_type=totals.failures_by_type,
            errors_by_type=totals.errors_by_type,
            errors_by_stage=totals.errors_by_stage,
        )
    ).decode()
    return values


def _record(row: Any, with_frame: bool) -> RunRecord:
    m = row._mapping
    frame_text = m.get("frame") if with_frame else None
    return RunRecord(
        id=m["id"],
        collection=m["collection"],
        status=RunStatus(m["status"]),
        params=_decode_params(m["params"] or "{}"),
        origin=m["origin"],
        created_at=m["created_at"],
        started_at=m["started_at"],
        ended_at=m["ended_at"],
        updated_at=m["updated_at"],
        heartbeat_at=m["heartbeat_at"],
        paused_reason=m["paused_reason"],
        error=m["error"],
        finish_reason=m["finish_reason"],
        dataset=m["dataset"],
        dataset_size=m["dataset_size"],
        last_seq=m["last_seq"],
        totals=_totals(m),
        progress=_decode_progress(m["progress"] or "[]"),
        events_pruned_at=m["events_pruned_at"],
        frame=_decode_frame(frame_text) if frame_text else None,
    )


class RunStore:
    """Reads and writes the runs table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(
        self,
        run_id: str,
        collection: str,
        params: dict[str, Any] | None = None,
        *,
        origin: str = "local",
        dataset: str | None = None,
        status: RunStatus = RunStatus.PENDING,
    ) -> bool:
        """Insert a run row unless it exists; returns whether it was created."""
        async with self.database.begin() as conn:
            return await self._create(conn, run_id, collection, params, origin, dataset, status)

    async def _create(
        self,
        conn: Any,
        run_id: str,
        collection: str,
        params: dict[str, Any] | None,
        origin: str,
        dataset: str | None,
        status: RunStatus,
    ) -> bool:
        exists = await conn.scalar(sa.select(runs.c.id).where(runs.c.id == run_id))
        if exists is not None:
            return False
        now = utc_now()
        await conn.execute(
            runs.insert().values(
                id=run_id,
                collection=collection,
                status=str(status),
                params=_encode(params or {}).decode(),
                origin=origin,
                dataset=dataset,
                created_at=now,
                updated_at=now,
                heartbeat_at=now,
            )
        )
        return True

    async def save_frame(self, frame: RunFrame, *, heartbeat: bool = True) -> None:
        """Write the aggregate's current picture onto the run's row (creating it if needed)."""
        now = utc_now()
        values: dict[str, Any] = {
            "status": str(frame.status),
            "started_at": frame.started_at,
            "ended_at": frame.ended_at,
            "updated_at": now,
            "paused_reason": frame.paused_reason,
            "error": frame.error,
            "finish_reason": frame.finish_reason,
            "dataset_size": frame.dataset_size,
            "last_seq": frame.last_seq,
            "progress": _encode(frame.progress).decode(),
            "frame": _encode(frame).decode(),
            **_totals_values(frame.totals),
        }
        if frame.collection:
            values["collection"] = frame.collection
        if frame.dataset:
            values["dataset"] = frame.dataset
        if frame.params:
            values["params"] = _encode(frame.params).decode()
        if heartbeat:
            values["heartbeat_at"] = now
        async with self.database.begin() as conn:
            await self._create(
                conn,
                frame.run_id,
                frame.collection or "unknown",
                frame.params,
                "local",
                frame.dataset,
                frame.status,
            )
            await conn.execute(runs.update().where(runs.c.id == frame.run_id).values(**values))

    async def set_status(self, run_id: str, change: StatusChange) -> bool:
        """Change a run's status outside the event flow (its runner went away, came back).

        The stored frame changes with the row, so whoever reads the run (REST, streams,
        CLI) sees one status. Returns whether the run exists.
        """
        values: dict[str, Any] = {
            "status": str(change.status),
            "ended_at": change.ended_at,
            "finish_reason": change.finish_reason,
            "updated_at": utc_now(),
        }
        if change.last_seq is not None:
            values["last_seq"] = change.last_seq
        async with self.database.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(runs.c.frame, runs.c.started_at).where(runs.c.id == run_id)
                )
            ).first()
            if row is None:
                return False
            if row.frame:
                frame = _decode_frame(row.frame)
                ended = format_ts(change.ended_at) if change.ended_at else None
                started = frame.started_at or (
                    format_ts(row.started_at) if row.started_at else None
                )
                frame = msgspec.structs.replace(
                    frame,
                    status=change.status,
                    ended_at=ended,
                    finish_reason=change.finish_reason,
                    duration_s=seconds_between(started, change.ended_at) if ended else None,
                    last_seq=max(frame.last_seq, change.last_seq or 0),
                )
                values["frame"] = _encode(frame).decode()
            await conn.execute(runs.update().where(runs.c.id == run_id).values(**values))
        return True

    async def get(self, run_id: str) -> RunRecord | None:
        """One run with its last stored frame."""
        async with self.database.connect() as conn:
            row = (await conn.execute(sa.select(runs).where(runs.c.id == run_id))).first()
        return _record(row, with_frame=True) if row else None

    async def list(
        self,
        *,
        status: str | Collection[str] | None = None,
        exclude_status: Collection[str] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[RunRecord]:
        """Runs, newest first, without frames; ``status`` is one status or several."""
        stmt = sa.select(*_LIST_COLUMNS).order_by(runs.c.created_at.desc(), runs.c.id.desc())
        stmt = _status_filter(stmt, status)
        if exclude_status:
            stmt = stmt.where(runs.c.status.not_in([str(s) for s in exclude_status]))
        stmt = stmt.limit(limit).offset(offset)
        async with self.database.connect() as conn:
            result = await conn.execute(stmt)
            return [_record(row, with_frame=False) for row in result]

    async def count(self, *, status: str | Collection[str] | None = None) -> int:
        """How many runs ``list`` would page through with the same filter."""
        stmt = _status_filter(sa.select(sa.func.count()).select_from(runs), status)
        async with self.database.connect() as conn:
            return int(await conn.scalar(stmt) or 0)

    async def totals_since(
        self, since: datetime, *, overrides: Mapping[str, RunTotals] | None = None
    ) -> DayTotals:
        """Runs created at or after ``since`` and the sums of their totals (in SQL).

        ``overrides`` replaces the stored totals of some runs (fresher numbers the caller
        holds, for runs whose row lags by up to a second).
        """
        day = DayTotals(since=since)
        recent = runs.c.created_at >= since
        summed = [sa.func.coalesce(sa.func.sum(runs.c[name]), 0) for name in _TOTALS_SUMMED]
        async with self.database.connect() as conn:
            row = (await conn.execute(sa.select(sa.func.count(), *summed).where(recent))).one()
            fresher = dict(overrides or {})
            stored: dict[str, tuple[int, ...]] = {}
            if fresher:
                stmt = sa.select(runs.c.id, *[runs.c[n] for n in _TOTALS_SUMMED]).where(
                    recent, runs.c.id.in_(list(fresher))
                )
                stored = {r[0]: tuple(r[1:]) for r in await conn.execute(stmt)}
        sums = [int(v or 0) for v in row[1:]]
        for run_id, old in stored.items():
            new = fresher[run_id]
            for index, name in enumerate(_TOTALS_SUMMED):
                sums[index] += getattr(new, name) - int(old[index] or 0)
        day.runs = int(row[0] or 0)
        day.requests, day.items, day.new_items, day.errors = sums
        return day

    async def active_ids(self) -> builtins.list[str]:
        """Runs stored as pending, running or paused."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(runs.c.id).where(runs.c.status.in_([str(s) for s in ACTIVE_STATUSES]))
            )
            return [row[0] for row in result]
