"""The runs table: one row per run, updated as it goes and frozen when it ends."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from crawlscope.aggregate.frames import ProgressLevel, RunFrame, RunTotals
from crawlscope.events import utc_now_iso
from crawlscope.store.database import Database
from crawlscope.store.schema import runs

__all__ = ["ACTIVE_STATUSES", "DayTotals", "RunRecord", "RunStore", "RunSummary"]

ACTIVE_STATUSES = ("pending", "running", "paused")

_encode = msgspec.json.Encoder().encode


class _RunRow(msgspec.Struct, kw_only=True):
    """The fields a stored run and its list entry share."""

    id: str
    collection: str
    status: str
    params: dict[str, Any]
    origin: str
    created_at: str
    started_at: str | None = None
    ended_at: str | None = None
    paused_reason: str | None = None
    error: str | None = None
    dataset: str | None = None
    dataset_size: int | None = None
    last_seq: int = 0
    totals: RunTotals = msgspec.field(default_factory=RunTotals)
    progress: list[ProgressLevel] = []


class RunSummary(_RunRow, kw_only=True):
    """One run in a list (``GET /api/runs``, the overview): the stored row without its frame."""

    duration_s: float | None = None


class RunRecord(_RunRow, kw_only=True):
    """A stored run. ``frame`` (workers, sites, errors) is loaded only by ``get``."""

    updated_at: str | None = None
    heartbeat_at: str | None = None
    frame: RunFrame | None = None

    def summary(self) -> RunSummary:
        """The row as lists show it (no frame), with its duration so far."""
        shared = {name: getattr(self, name) for name in _RunRow.__struct_fields__}
        return RunSummary(**shared, duration_s=duration_s(self.started_at, self.ended_at))


class DayTotals(msgspec.Struct, kw_only=True):
    """Sums over the runs created since a moment (the overview's "today")."""

    since: str
    runs: int = 0
    requests: int = 0
    items: int = 0
    new_items: int = 0
    errors: int = 0


def _parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def duration_s(started_at: str | None, ended_at: str | None) -> float | None:
    """Seconds from start to end (or to now, while the run goes); None before it starts."""
    if not started_at:
        return None
    end = _parse_ts(ended_at) if ended_at else datetime.now(UTC)
    return round(max(0.0, (end - _parse_ts(started_at)).total_seconds()), 3)


def _status_filter(stmt: Any, status: str | Collection[str] | None) -> Any:
    if status is None:
        return stmt
    if isinstance(status, str):
        return stmt.where(runs.c.status == status)
    return stmt.where(runs.c.status.in_(list(status)))


_LIST_COLUMNS = [c for c in runs.c if c.name != "frame"]


def _record(row: Any, with_frame: bool) -> RunRecord:
    values = {str(key): value for key, value in row._mapping.items()}
    values["params"] = msgspec.json.decode(values["params"])
    values["totals"] = msgspec.json.decode(values["totals"], type=RunTotals)
    values["progress"] = msgspec.json.decode(values["progress"], type=list[ProgressLevel])
    frame = values.pop("frame", None)
    record = msgspec.convert(values, RunRecord)
    if with_frame and frame:
        record.frame = msgspec.json.decode(frame, type=RunFrame)
    return record


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
        status: str = "pending",
    ) -> bool:
        """Insert a run row unless it exists; returns whether it was created."""
        now = utc_now_iso()
        async with self.database.begin() as conn:
            exists = await conn.scalar(sa.select(runs.c.id).where(runs.c.id == run_id))
            if exists is not None:
                return False
            await conn.execute(
                runs.insert().values(
                    id=run_id,
                    collection=collection,
                    status=status,
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
        now = utc_now_iso()
        await self.create(
            frame.run_id,
            frame.collection or "unknown",
            frame.params,
            dataset=frame.dataset,
            status=frame.status,
        )
        values: dict[str, Any] = {
            "status": frame.status,
            "started_at": frame.started_at,
            "ended_at": frame.ended_at,
            "updated_at": now,
            "paused_reason": frame.paused_reason,
            "error": frame.error,
            "dataset_size": frame.dataset_size,
            "last_seq": frame.last_seq,
            "totals": _encode(frame.totals).decode(),
            "progress": _encode(frame.progress).decode(),
            "frame": _encode(frame).decode(),
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
            await conn.execute(runs.update().where(runs.c.id == frame.run_id).values(**values))

    async def set_status(self, run_id: str, status: str, *, ended: bool = False) -> None:
        """Change a run's status outside the event flow (e.g. ``interrupted`` at start-up)."""
        now = utc_now_iso()
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if ended:
            values["ended_at"] = now
        async with self.database.begin() as conn:
            await conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

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
            stmt = stmt.where(runs.c.status.not_in(list(exclude_status)))
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
        self, since: str, *, overrides: Mapping[str, RunTotals] | None = None
    ) -> DayTotals:
        """Runs created at or after ``since`` (ISO-8601 UTC) and the sums of their totals.

        ``overrides`` replaces the stored totals of some runs (fresher numbers the caller
        holds). Totals are JSON text (portable between SQLite and PostgreSQL), so they are
        summed here rather than in SQL; a day holds at most a few thousand runs.
        """
        day = DayTotals(since=since)
        stmt = sa.select(runs.c.id, runs.c.totals).where(runs.c.created_at >= since)
        async with self.database.connect() as conn:
            result = await conn.execute(stmt)
            rows = [(row[0], row[1]) for row in result]
        fresher = overrides or {}
        for run_id, text in rows:
            totals = fresher.get(run_id) or msgspec.json.decode(text, type=RunTotals)
            day.runs += 1
            day.requests += totals.requests
            day.items += totals.items_found
            day.new_items += totals.new_items
            day.errors += totals.errors
        return day

    async def active_ids(self) -> builtins.list[str]:
        """Runs stored as pending, running or paused."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(runs.c.id).where(runs.c.status.in_(ACTIVE_STATUSES))
            )
            return [row[0] for row in result]
