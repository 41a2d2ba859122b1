"""Run control requests (pause, resume, cancel) passed through the database.

The CLI and other processes cannot reach a runner's memory; they leave a command here and
the runner that owns the run picks it up within its poll interval.
"""

from __future__ import annotations

import msgspec
import sqlalchemy as sa

from crawlscope.events import utc_now_iso
from crawlscope.store.database import Database
from crawlscope.store.schema import run_commands

__all__ = ["COMMANDS", "CommandQueue", "RunCommand"]

COMMANDS = ("pause", "resume", "cancel")


class RunCommand(msgspec.Struct, kw_only=True):
    """A pending control request."""

    id: int
    run_id: str
    command: str
    created_at: str


class CommandQueue:
    """Enqueue, fetch and acknowledge run commands."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def enqueue(self, run_id: str, command: str) -> int:
        """Leave ``command`` for the runner of ``run_id``; returns the command id."""
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}; expected one of {', '.join(COMMANDS)}")
        async with self.database.begin() as conn:
            result = await conn.execute(
                run_commands.insert().values(
                    run_id=run_id, command=command, created_at=utc_now_iso()
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
            return [RunCommand(**row._mapping) for row in result]

    async def pending(self, run_id: str) -> list[tuple[int, str]]:
        """``(id, command)`` pairs waiting for the runner (the runner's ControlSource)."""
        return [(c.id, c.command) for c in await self.unhandled(run_id)]

    async def acknowledge(self, command_id: int, outcome: str) -> None:
        """Record that the runner acted on (or refused) a command."""
        await self.mark_handled(command_id, outcome)

    async def mark_handled(self, command_id: int, outcome: str) -> None:
        """Record that the runner acted on (or refused) a command."""
        async with self.database.begin() as conn:
            await conn.execute(
                run_commands.update()
                .where(run_commands.c.id == command_id)
                .values(handled_at=utc_now_iso(), outcome=outcome)
            )

    async def outcome(self, command_id: int) -> str | None:
        """The runner's answer to a command, or None while it is unhandled."""
        async with self.database.connect() as conn:
            value = await conn.scalar(
                sa.select(run_commands.c.outcome).where(run_commands.c.id == command_id)
            )
        return None if value is None else str(value)
