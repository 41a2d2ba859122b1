"""Where an integration's run reports: a crawlscope server, or a local database."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawlscope.runner.reporter import ControlSource, ItemSink, Reporter

__all__ = ["Connection", "Destination", "DestinationError"]


class DestinationError(ValueError):
    """A bad server URL, token or database setting; the message names the setting."""


@dataclass(frozen=True)
class Destination:
    """A server (``server`` URL, ``token`` with the ingest role, or none when the server
    has auth off) or a ``database`` path/URL. Neither: the project's database
    (``crawlscope.toml``, ``CRAWLSCOPE_DATABASE_URL``), as ``Monitor()`` picks it.

    ``names`` are the setting names to quote in errors (``server``, ``database``).
    """

    server: str | None = None
    token: str | None = None
    database: str | None = None
    names: tuple[str, str] = ("server", "database")

    def __post_init__(self) -> None:
        server_name, database_name = self.names
        if self.server is not None and not self.server.startswith(("http://", "https://")):
            raise DestinationError(
                f"{server_name} must be an http:// or https:// URL, got {self.server!r}"
            )
        if self.server is not None and self.database is not None:
            raise DestinationError(
                f"give {server_name} or {database_name}, not both: a run reported to a "
                "server keeps its items in the server's dataset"
            )

    async def connect(self) -> Connection:
        """Open the reporter (checking a server answers and takes the token)."""
        if self.server is not None:
            return await _connect_server(self.server, self.token, self.names[0])
        return await _open_database(self.database)


class Connection:
    """An opened destination: the runner's ``Reporter``, ``ControlSource`` and a way to
    make its ``ItemSink``."""

    def __init__(self, reporter: Reporter, control: ControlSource, where: str) -> None:
        self.reporter = reporter
        self.control = control
        self.where = where
        """The server URL or the database, for messages."""

    def item_sink(self, dataset: str, run_id: str) -> ItemSink:
        """The dataset the run's items go to."""
        raise NotImplementedError

    async def close(self) -> None:
        """Deliver or store what is left, then close."""


class _ServerConnection(Connection):
    def __init__(self, reporter: HttpReporterType) -> None:
        super().__init__(reporter, reporter.control, reporter.server)
        self._http = reporter

    def item_sink(self, dataset: str, run_id: str) -> ItemSink:
        return self._http.item_sink(dataset, run_id=run_id)

    async def close(self) -> None:
        await self._http.close(self._http.flush_timeout)


class _DatabaseConnection(Connection):
    def __init__(self, monitor: MonitorType) -> None:
        super().__init__(monitor, monitor.store.commands, monitor.store.display_url)
        self._monitor = monitor

    def item_sink(self, dataset: str, run_id: str) -> ItemSink:
        from crawlscope.store import DatasetSink

        return DatasetSink(self._monitor.store.datasets, dataset)

    async def close(self) -> None:
        await self._monitor.stop()


if TYPE_CHECKING:
    from crawlscope.client import HttpReporter as HttpReporterType
    from crawlscope.monitor import Monitor as MonitorType


async def _connect_server(server: str, token: str | None, name: str) -> Connection:
    from crawlscope.client import HttpReporter, ServerUnreachable, TokenRefused

    # Batches of up to half a second: a crawler's process pays per request to the server
    # (about a millisecond of CPU each, measured), and the dashboard stays live enough.
    reporter = HttpReporter(server, token, flush_timeout=60.0, max_delay=0.5)
    try:
        await reporter.check()
    except ServerUnreachable:
        # Like a server that goes away mid-run: events are buffered and retried.
        pass
    except TokenRefused as exc:
        await reporter.close(0)
        raise DestinationError(f"{name}: the server refused the token: {exc}") from exc
    reporter.start()
    return _ServerConnection(reporter)


async def _open_database(database: str | None) -> Connection:
    from crawlscope.monitor import Monitor

    monitor = Monitor(database)
    try:
        await monitor.start()
    except BaseException:
        with contextlib.suppress(Exception):
            await monitor.stop()
        raise
    return _DatabaseConnection(monitor)
