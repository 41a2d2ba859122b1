"""Fixtures for integration tests: a real server on a free loopback port, a SQLite file's
event writer. The storage backends (``database_url``, ``store``) are in tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from crawlscope.api import create_app
from crawlscope.api.services import Services
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from crawlscope.store import Database, ProcessEventLog


@dataclass
class LiveServer:
    """A running server: its base URL, the app and the services its lifespan opened."""

    url: str
    app: FastAPI
    settings: Settings

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    """Settings for a server on a fresh SQLite file; tests may change them before use."""
    return Settings(database_url=str(tmp_path / "server.db"))


@pytest.fixture
async def live_server(server_settings: Settings) -> AsyncIterator[LiveServer]:
    """A started server (lifespan done, database migrated)."""
    app = create_app(server_settings)
    async with serve_in_loop(app) as url:
        yield LiveServer(url, app, server_settings)


# -- the event writer (store/process_event_log.py) -----------------------------------------


@pytest.fixture
async def database(db_path: Path) -> Any:
    db = Database(str(db_path))
    await db.open()
    yield db
    await db.close()


@pytest.fixture
async def process_log(database: Database) -> Any:
    log = ProcessEventLog(database)
    yield log
    await log.close()
