"""Fixtures for integration tests: a real server on a free loopback port, storage backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
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


# -- storage backends --------------------------------------------------------------------

PG_ADMIN_URL = os.environ.get("CRAWLSCOPE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg_admin() -> asyncpg.Connection | None:
    try:
        return await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CRAWLSCOPE_REQUIRE_SERVICES"):
            raise RuntimeError(f"PostgreSQL at {PG_ADMIN_URL} is required here: {exc}") from exc
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each backend: a SQLite file, then a new PostgreSQL database.

    PostgreSQL is skipped (with the reason) when no server answers, unless
    ``CRAWLSCOPE_REQUIRE_SERVICES`` is set, as CI does, which turns that into a failure.
    """
    if request.param == "sqlite":
        yield str(tmp_path / "backend.db")
        return
    admin = await _pg_admin()
    if admin is None:
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN_URL}")
    name = f"crawlscope_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


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
