"""Fixtures shared by every test: a real SQLite file per test and a running Monitor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crawlscope.monitor import Monitor


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh SQLite file location (the file itself is created by the store)."""
    return tmp_path / "crawlscope.db"


@pytest.fixture
async def monitor(db_path: Path) -> AsyncIterator[Monitor]:
    """A started Monitor on a real SQLite file."""
    mon = Monitor(str(db_path), save_interval=0.2)
    await mon.start()
    try:
        yield mon
    finally:
        await mon.stop()
