"""``crawlscope db upgrade`` says what it did, on SQLite and PostgreSQL; a PostgreSQL URL
without asyncpg installed names the extra to install."""

from __future__ import annotations

import asyncio
import sys

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from typer.testing import CliRunner, Result

from crawlscope.cli import app as cli_app
from crawlscope.store import Database
from crawlscope.store.database import _alembic_config


async def _cli(*args: str) -> Result:
    # In a thread: the command runs its own event loop.
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args), env={"COLUMNS": "300"})


def _output(result: Result) -> str:
    return " ".join(result.output.split())


async def _downgrade(url: str, revision: str) -> None:
    database = Database(url)
    await database.open()
    try:
        async with database.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(_alembic_config(c), revision))
    finally:
        await database.close()


async def test_upgrade_says_created_upgraded_or_up_to_date(database_url: str) -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    shown = Database(database_url).display_url

    created = await _cli("db", "upgrade", "--db", database_url)
    assert created.exit_code == 0, created.output
    assert _output(created) == (
        f"database {shown}: schema created at revision {head} (the database was empty)"
    )

    again = await _cli("db", "upgrade", "--db", database_url)
    assert _output(again) == f"database {shown} already at revision {head} (up to date)"

    await _downgrade(database_url, previous)
    upgraded = await _cli("db", "upgrade", "--db", database_url)
    assert upgraded.exit_code == 0, upgraded.output
    assert _output(upgraded) == f"database {shown} upgraded from revision {previous} to {head}"


async def test_postgresql_without_asyncpg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # `import asyncpg` now fails
    result = await _cli("db", "upgrade", "--db", "postgresql://me:secret@127.0.0.1:9/nowhere")
    output = _output(result)
    assert result.exit_code == 2, output
    assert output == (
        "Error: cannot open database postgresql+asyncpg://me:***@127.0.0.1:9/nowhere: the "
        "asyncpg driver is not installed (pip install 'crawlscope[postgres]') (option --db)"
    )
