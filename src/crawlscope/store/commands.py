"""Run control requests (pause, resume, cancel) passed through the database.

The CLI and other processes cannot reach a runner's memory; they leave a command here and
the runner that owns the run picks it up within its poll interval.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
import sqlalchemy as sa

from crawlscope.status import ControlCommand, ControlOutcome
from crawlscope.store.database import Database
from crawlscope.store.schema import run_commands
from crawlscope.timestamps import utc_now

__all__ = ["CommandQueue", "RunCommand"]


class RunCommand(msgspec.Struct, kw_only=True):
    """A pending control request."""

    id: int
    run_id: str
    command: ControlCommand
    created_at: datetime


class CommandQueue:
    """Enqueue, fetch and acknowledge run commands."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def enqueue(self, run_id: str, command: ControlCommand) -> int:
        """Leave ``command`` for the runner of ``run_id``; returns the command id."""
        command = ControlCommand(command)
        async with self.database.begin() as conn:
            result = await conn.execute(
                run_commands.insert().values(
                    run_id=run_id, command=str(command), created_at=utc_now()
                )
            )
            return int(result.inserted_primary_key[0])

    async def unhandled(self, run_id: str) -> list[RunCommand]:
        """Unhandled commands for a run, oldest first."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(
                    run_commands.c.id,
                    run_commands.c.run_id,
                    run_commands.c.command,
                    run_commands.c.created_at,
                )
                .where(run_commands.c.run_id == run_id, run_commands.c.handled_at.is_(None))
                .order_by(run_commands.c.id)
            )
            return [
                RunCommand(
                    id=row.id,
                    run_id=row.run_id,
                    command=ControlCommand(row.command),
                    created_at=row.created_at,
                )
                for row in result
            ]

    async def pending(self, run_id: str) -> list[tuple[int, ControlCommand]]:
        """``(id, command)`` pairs waiting for the runner (the runner's ControlSource)."""
        return [(c.id, c.command) for c in await self.unhandled(run_id)]

    async def acknowledge(self, command_id: int, outcome: ControlOutcome) -> None:
        """Record what the runner did with a command (the runner's ControlSource)."""
        await self.acknowledge_text(command_id, outcome.text())

    async def acknowledge_text(self, command_id: int, outcome: str) -> None:
        """Record a runner's answer as it arrived from another process (ingest acks)."""
        async with self.database.begin() as conn:
            await conn.execute(
                run_commands.update()
                .where(run_commands.c.id == command_id)
                .values(handled_at=utc_now(), outcome=outcome)
            )

    async def outcome(self, command_id: int) -> ControlOutcome | None:
        """The runner's answer to a command, or None while it is unhandled."""
        async with self.database.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(run_commands.c.command, run_commands.c.outcome).where(
                        run_commands.c.id == command_id
                    )
                )
            ).first()
        if row is None or row.outcome is None:
            return None
        return ControlOutcome.parse(row.command, row.outcome)
