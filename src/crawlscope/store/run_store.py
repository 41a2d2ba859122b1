"""The runs table: one row per run, updated as it goes and frozen when it ends."""

from __future__ import annotations

import builtins
from typing import Any

import msgspec
import sqlalchemy as sa

from crawlscope.aggregate.frames import ProgressLevel, RunFrame, RunTotals
from crawlscope.events import utc_now_iso
from crawlscope.store.database import Database
from crawlscope.store.schema import runs

__all__ = ["RunRecord", "RunStore"]

_encode = msgspec.json.Encoder().encode


class RunRecord(msgspec.Struct, kw_only=True):
    """A stored run. ``frame`` (workers, sites, errors) is loaded only by ``get``."""

    id: str
    collection: str
    status: str
    params: dict[str, Any]
    origin: str
    created_at: str
    started_at: str | None = None
    ended_at: str | None = None
    updated_at: str | None = None
    heartbeat_at: str | None = None
    paused_reason: str | None = None
    error: str | None = None
    dataset: str | None = None
    dataset_size: int | None = None
    last_seq: int = 0
    totals: RunTotals = msgspec.field(default_factory=RunTotals)
    progress: list[ProgressLevel] = []
    frame: RunFrame | None = None


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
        self, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[RunRecord]:
        """Runs, newest first, without frames."""
        stmt = sa.select(*_LIST_COLUMNS).order_by(runs.c.created_at.desc(), runs.c.id.desc())
        if status is not None:
            stmt = stmt.where(runs.c.status == status)
        stmt = stmt.limit(limit).offset(offset)
        async with self.database.connect() as conn:
            result = await conn.execute(stmt)
            return [_record(row, with_frame=False) for row in result]

    async def active_ids(self) -> builtins.list[str]:
        """Runs stored as pending, running or paused."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(runs.c.id).where(runs.c.status.in_(("pending", "running", "paused")))
            )
            return [row[0] for row in result]
