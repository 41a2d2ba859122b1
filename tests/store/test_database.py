"""The ``Store`` bundle itself on every backend: opening, migrating (from several processes
at once too), health, where it lives."""

from __future__ import annotations

import asyncio
import sys

from crawlscope.store import Database, SqlStore, normalize_url


def test_urls_are_normalised() -> None:
    assert normalize_url("data/x.db") == "sqlite+aiosqlite:///data/x.db"
    assert normalize_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalize_url("postgresql://u:p@h/d") == "postgresql+asyncpg://u:p@h/d"
    assert Database("postgresql://u:secret@h/d").display_url == "postgresql+asyncpg://u:***@h/d"


async def test_an_opened_store_is_current_and_answers(store: SqlStore, database_url: str) -> None:
    assert await store.ping()
    assert await store.schema_current()
    assert store.backend == ("sqlite" if "://" not in database_url else "postgresql")
    if store.backend == "sqlite":
        assert store.data_path == database_url
        assert store.display_url == f"sqlite+aiosqlite:///{database_url}"
    else:
        assert store.data_path == ""
        assert store.display_url.startswith("postgresql+asyncpg://")


async def test_opening_again_changes_nothing(store: SqlStore, database_url: str) -> None:
    await store.runs.create("r", "c")
    again = SqlStore(database_url)
    await again.open()  # migrating an up-to-date database
    try:
        assert await again.schema_current()
        assert [r.id for r in await again.runs.list()] == ["r"]
    finally:
        await again.close()
    assert await store.runs.count() == 1


_OPEN = """
import asyncio, sys
from crawlscope.store import Database

async def main() -> None:
    database = Database(sys.argv[1])
    await database.open()
    print(await database.migrations_current())
    await database.close()

asyncio.run(main())
"""


async def test_processes_racing_to_create_one_database_all_succeed(database_url: str) -> None:
    """Several processes opening a new database at once (a server and its runners started
    together): one creates the schema, the others wait for it and find it current."""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _OPEN,
            database_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(5)
    ]
    results = [await p.communicate() for p in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]
        assert out.decode().strip() == "True"
    database = Database(database_url)
    await database.open()
    try:
        assert await database.migrations_current()
    finally:
        await database.close()
