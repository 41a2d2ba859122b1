"""Opening the database: URL handling, SQLite pragmas, migrations, health checks."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["Database", "DatabaseFileGone", "StoreError", "normalize_url"]

_MIGRATIONS = Path(__file__).with_name("migrations")

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The database cannot be used (path not writable, server unreachable, not a database)."""


class DatabaseFileGone(StoreError):
    """The SQLite file was deleted or replaced under a running process; nothing is written
    until it is back (``cause``: ``file_gone`` or ``file_replaced``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.cause = "file_replaced" if "replaced" in message else "file_gone"


def normalize_url(url_or_path: str) -> str:
    """Turn a file path or a sync-driver URL into an async SQLAlchemy URL.

    ``data/x.db`` and ``sqlite:///data/x.db`` become ``sqlite+aiosqlite:///data/x.db``;
    ``postgresql://…`` becomes ``postgresql+asyncpg://…``.
    """
    if "://" not in url_or_path:
        return f"sqlite+aiosqlite:///{url_or_path}"
    url = make_url(url_or_path)
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        url = url.set(drivername="sqlite+aiosqlite")
    elif url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


def _alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_sqlite_path(path: str) -> None:
    """Fail early, with the path in the message, if SQLite could not write there."""
    if path in ("", ":memory:"):
        return
    file = Path(path).expanduser()
    parent = file.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory for database {file}: {exc}") from exc
    if file.exists():
        if not file.is_file():
            raise StoreError(f"database path {file} exists and is not a file")
        if not os.access(file, os.R_OK | os.W_OK):
            raise StoreError(f"database file {file} is not readable and writable")
        # Checked here rather than left to SQLite: its refusal comes from inside the
        # connection pool, whose cleanup of the half-open connection could outlive the
        # caller's event loop. An empty file is what SQLite makes of a new database.
        with file.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
        if header and header != _SQLITE_HEADER:
            raise StoreError(f"cannot open database {file}: file is not a database")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"cannot write the database file {file}: directory {parent} is read-only")


class Database:
    """One database (SQLite file or PostgreSQL) shared by the store's repositories.

    ``open()`` checks the location, connects and applies Alembic migrations; nothing is
    written before those checks pass, so a bad path never leaves a half-made file behind.
    """

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self._parsed = make_url(self.url)
        self._identity: tuple[int, int] | None = None
        self.engine: AsyncEngine = self._create_engine()
        self.revisions: tuple[str | None, str | None] | None = None
        """The schema revision before and after the last ``open()`` (None: not opened);
        ``(None, head)`` when ``open()`` created the schema in an empty database."""

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite backend."""
        return self._parsed.get_backend_name() == "sqlite"

    @property
    def path(self) -> str:
        """The SQLite file path ("" for other backends or in-memory databases)."""
        return (self._parsed.database or "") if self.is_sqlite else ""

    @property
    def is_file(self) -> bool:
        """A SQLite database in a file on disk (not in memory, not a custom URI)."""
        return (
            self.is_sqlite
            and self.path not in ("", ":memory:")
            and "uri" not in self._parsed.query
            and not self.path.startswith("file:")
        )

    @property
    def display_url(self) -> str:
        """The URL with any password masked, for logs and error messages."""
        return self._parsed.render_as_string(hide_password=True)

    def _create_engine(self) -> AsyncEngine:
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        url: str | URL = self.url
        if self.is_file:
            # mode=rw: a connection never creates the file. ``open`` creates a new database
            # once, on purpose; a file deleted under a running server then stays missing
            # (and is reported) instead of coming back empty with the next connection.
            path = os.path.abspath(os.path.expanduser(self.path))
            url = URL.create(
                "sqlite+aiosqlite",
                database="file:" + urllib.parse.quote(path),
                query={"mode": "rw", "uri": "true"},
            )
        try:
            engine = create_async_engine(url, **kwargs)
        except ModuleNotFoundError as exc:  # the dialect imports its driver here
            raise StoreError(_missing_driver(self.display_url, exc.name)) from exc
        if self.is_sqlite:
            sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine

    async def open(self) -> None:
        """Check the location, connect and bring the schema up to date."""
        if self.is_sqlite:
            await asyncio.to_thread(_check_sqlite_path, self._parsed.database or "")
        if self.is_file:
            try:
                if await asyncio.to_thread(_create_if_missing, self.path):
                    log.info("no database at %s: created a new, empty one", self.path)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open database {self.display_url}: {exc}") from exc
        try:
            async with self.engine.begin() as conn:
                self.revisions = await conn.run_sync(_upgrade)
        except (sa.exc.DBAPIError, OSError) as exc:
            await self.engine.dispose()
            raise StoreError(f"cannot open database {self.display_url}: {_reason(exc)}") from exc
        if self.is_file:
            self._identity = _identity(self.path)

    def check_file(self) -> None:
        """Raise ``DatabaseFileGone`` if the file was deleted or replaced since ``open``."""
        problem = self.file_problem()
        if problem is not None:
            raise DatabaseFileGone(problem)

    def file_problem(self) -> str | None:
        """What happened to the database file since ``open``: deleted or replaced; None
        when it is in place (or the database is not a file). A cheap ``stat``."""
        if self._identity is None:
            return None
        try:
            now = _identity(self.path)
        except FileNotFoundError:
            return f"the database file {self.path} was deleted"
        except OSError:
            return None  # cannot tell (a transient error); writes will say more
        if now != self._identity:
            return f"the database file {self.path} was replaced by another file"
        return None

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()

    async def ping(self) -> bool:
        """Whether a trivial query succeeds."""
        try:
            await self.check()
        except (sa.exc.DBAPIError, OSError):
            return False
        return True

    async def check(self) -> None:
        """Run a trivial query; raises the driver's error when it fails."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def migrations_current(self) -> bool:
        """Whether the schema is at the newest migration."""
        try:
            async with self.engine.connect() as conn:
                return await conn.run_sync(_is_current)
        except (sa.exc.DBAPIError, OSError):
            return False

    def connect(self) -> Any:
        """An ``AsyncConnection`` context manager (reads)."""
        return self.engine.connect()

    def begin(self) -> Any:
        """An ``AsyncConnection`` context manager inside a transaction (writes)."""
        return self.engine.begin()


def _create_if_missing(path: str) -> bool:
    """Create an empty SQLite database at ``path`` unless a file is there; whether it did."""
    file = Path(path).expanduser()
    if file.exists():
        return False
    sqlite3.connect(file).close()
    return True


def _identity(path: str) -> tuple[int, int]:
    stat = os.stat(Path(path).expanduser())
    return stat.st_dev, stat.st_ino


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (API, CLI) work while the recorder writes; NORMAL sync is durable
    # across application crashes, which is what a monitoring log needs.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_MIGRATION_LOCK: Final = 0x6373_6D69_6772_6174  # "csmigrat": any fixed 64-bit key
"""The PostgreSQL advisory lock that lets one process at a time migrate a database."""


def _upgrade(connection: sa.Connection) -> tuple[str | None, str | None]:
    """Migrate to the newest revision; returns the revisions before and after."""
    if connection.dialect.name == "sqlite":
        # Python's sqlite3 runs DDL outside a transaction, so two processes opening a new
        # file at once would both create tables. An immediate transaction takes the write
        # lock first: the second process waits (busy_timeout), then finds the schema current.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        # The same race on a server: both transactions create the tables and the second
        # fails on a duplicate name. A transaction-level advisory lock (per database,
        # released at commit) makes it wait; it then finds the schema current.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    before = MigrationContext.configure(connection).get_current_revision()
    command.upgrade(_alembic_config(connection), "head")
    return before, MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest migration's revision id: what ``open()`` upgrades a database to."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _is_current(connection: sa.Connection) -> bool:
    return MigrationContext.configure(connection).get_current_revision() == head_revision()


# Database drivers that come with an extra of the crawlscope package.
_DRIVER_EXTRAS = {"asyncpg": "postgres"}


def _missing_driver(display_url: str, driver: str | None) -> str:
    extra = _DRIVER_EXTRAS.get(driver or "")
    fix = f"pip install 'crawlscope[{extra}]'" if extra else f"pip install {driver}"
    return f"cannot open database {display_url}: the {driver} driver is not installed ({fix})"


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]
