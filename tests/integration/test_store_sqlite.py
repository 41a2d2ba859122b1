"""What only a SQLite file has: its location on disk and WAL.

SQLite is embedded: the program creates the database file itself, so a bad path (a file in
the way, /proc, a directory, someone's notes) must be refused before anything is written,
and its journal mode is the program's choice (WAL). A PostgreSQL server has none of these;
the behaviour both backends share is in tests/store/ (the ``store`` fixture; processes
racing to create one database in test_database.py), the writer process that inserts a
SQLite file's events in test_event_writer*.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawlscope.store import Database, StoreError

# -- locations that cannot be used ---------------------------------------------------------


def _exists(path: str) -> bool:
    return Path(path).exists()


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``directory`` with its content and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


async def test_a_path_under_a_regular_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    db = Database(str(blocker / "x.db"))
    with pytest.raises(StoreError, match="a-file") as info:
        await db.open()
    assert "cannot create the directory" in str(info.value)
    assert blocker.read_text() == "not a directory"


async def test_a_path_in_a_pseudo_filesystem_is_refused() -> None:
    # /proc cannot hold files even for root (tests may run as root, so chmod proves nothing).
    db = Database("/proc/crawlscope-test.db")
    with pytest.raises(StoreError, match="cannot open database") as info:
        await db.open()
    assert "/proc/crawlscope-test.db" in str(info.value)
    assert not _exists("/proc/crawlscope-test.db")


async def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a file"):
        await Database(str(tmp_path)).open()


async def test_a_file_that_is_not_a_database_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"my precious notes\n" * 100)
    before = _snapshot(tmp_path)
    with pytest.raises(StoreError, match="file is not a database"):
        await Database(str(path)).open()
    assert _snapshot(tmp_path) == before  # same bytes, same mtime, no -wal/-shm files


async def test_missing_directories_are_created(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "deep" / "er" / "x.db"))
    await db.open()
    try:
        assert await db.ping()
        assert await db.migrations_current()
    finally:
        await db.close()


async def test_open_is_idempotent_and_uses_wal(database: Database, db_path: Path) -> None:
    again = Database(str(db_path))
    await again.open()  # migrating an up-to-date database changes nothing
    await again.close()
    assert await database.migrations_current()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "events", "run_commands", "dataset_items", "alembic_version"} <= tables
