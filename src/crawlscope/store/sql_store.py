"""``SqlStore``: every repository over one SQLite file or PostgreSQL database."""

from __future__ import annotations

from crawlscope.store.alerts import AlertStore
from crawlscope.store.analytics import AnalyticsStore
from crawlscope.store.commands import CommandQueue
from crawlscope.store.database import Database
from crawlscope.store.datasets import DatasetStore
from crawlscope.store.event_log import EventLog
from crawlscope.store.frontier import FrontierStore
from crawlscope.store.process_event_log import ProcessEventLog, event_log_for
from crawlscope.store.retention import Retention
from crawlscope.store.run_store import RunStore
from crawlscope.store.schedules import ScheduleStore
from crawlscope.store.series import SeriesStore
from crawlscope.store.system_samples import SystemSampleStore
from crawlscope.store.tokens import TokenStore

__all__ = ["SqlStore"]


class SqlStore:
    """The ``Store`` of one database (``crawlscope.store.repositories``).

    ``event_writer`` chooses how a SQLite file's events are inserted: ``"process"`` (a
    writer process, the default), ``"inline"``, or None to read ``CRAWLSCOPE_EVENT_WRITER``.
    PostgreSQL always inserts in-process.
    """

    def __init__(
        self,
        database: Database | str,
        *,
        event_writer: str | None = None,
        event_log: EventLog | None = None,
    ) -> None:
        self.database = database if isinstance(database, Database) else Database(database)
        # ``event_log``: one made for ``database`` by the caller (a test's slow log, say).
        self._events: EventLog = event_log or event_log_for(self.database, event_writer)
        self._runs = RunStore(self.database)
        self._commands = CommandQueue(self.database)
        self._datasets = DatasetStore(self.database)
        self._tokens = TokenStore(self.database)
        self._series = SeriesStore(self.database)
        # SQLite files: the event writer process writes the frontier too (FrontierStore).
        writer = self._events if isinstance(self._events, ProcessEventLog) else None
        self._frontiers = FrontierStore(self.database, writer)
        self._schedules = ScheduleStore(self.database)
        self._alerts = AlertStore(self.database)
        self._system_samples = SystemSampleStore(self.database)
        self._analytics = AnalyticsStore(self.database)

    @property
    def runs(self) -> RunStore:
        """The runs table."""
        return self._runs

    @property
    def events(self) -> EventLog:
        """The event log (a writer process for SQLite files unless inline)."""
        return self._events

    @property
    def commands(self) -> CommandQueue:
        """Control commands."""
        return self._commands

    @property
    def datasets(self) -> DatasetStore:
        """Dataset items."""
        return self._datasets

    @property
    def tokens(self) -> TokenStore:
        """Tokens and sessions."""
        return self._tokens

    @property
    def series(self) -> SeriesStore:
        """Chart series."""
        return self._series

    @property
    def frontiers(self) -> FrontierStore:
        """Runs' frontiers."""
        return self._frontiers

    @property
    def schedules(self) -> ScheduleStore:
        """Schedules and their slots."""
        return self._schedules

    @property
    def analytics(self) -> AnalyticsStore:
        """Analytics over the rollups and run summaries."""
        return self._analytics

    @property
    def alerts(self) -> AlertStore:
        """API alert rules, alerts, deliveries and silences."""
        return self._alerts

    @property
    def system_samples(self) -> SystemSampleStore:
        """System samples."""
        return self._system_samples

    def retention(
        self, *, raw_event_days: float, minute_rollup_days: float, batch_rows: int = 5000
    ) -> Retention:
        """Pruning of this database (``crawlscope.store.retention``)."""
        return Retention(
            self.database,
            self._series,
            raw_event_days=raw_event_days,
            minute_rollup_days=minute_rollup_days,
            batch_rows=batch_rows,
        )

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.database.is_sqlite else "postgresql"

    @property
    def display_url(self) -> str:
        """The database URL, password masked."""
        return self.database.display_url

    @property
    def data_path(self) -> str:
        """The SQLite file ("" for PostgreSQL or in-memory SQLite)."""
        return self.database.path

    @property
    def created(self) -> bool:
        """See ``Store.created``."""
        revisions = self.database.revisions
        return revisions is not None and revisions[0] is None

    async def open(self) -> None:
        """Check the location, connect and migrate (see ``Database.open``)."""
        await self.database.open()

    async def close(self) -> None:
        """Stop the event writer, then release every connection."""
        await self._events.close()
        await self.database.close()

    async def ping(self) -> bool:
        """Whether a trivial query succeeds."""
        return await self.database.ping()

    async def check(self) -> None:
        """See ``Store.check``."""
        await self.database.check()

    async def schema_current(self) -> bool:
        """Whether the schema is at the newest migration."""
        return await self.database.migrations_current()

    def file_problem(self) -> str | None:
        """See ``Store.file_problem``."""
        return self.database.file_problem()
