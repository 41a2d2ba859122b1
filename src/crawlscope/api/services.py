"""Everything a running server holds: settings, monitor, registry, run manager, demo site."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from crawlscope.config import Settings
from crawlscope.manager import RunManager
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry

if TYPE_CHECKING:
    from crawlscope.demo.session import DemoSite

__all__ = ["Services", "get_services"]

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The server's long-lived objects, opened by the app's lifespan."""

    settings: Settings
    monitor: Monitor
    registry: CollectionRegistry
    manager: RunManager
    demo_url: str | None = None
    demo_site: DemoSite | None = None
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    @classmethod
    async def open(cls, settings: Settings, registry: CollectionRegistry | None = None) -> Services:
        """Open the database (migrating it), start the monitor and, if asked, the demo."""
        monitor = Monitor(settings.database_url)
        await monitor.start()
        registry = registry if registry is not None else CollectionRegistry()
        services = cls(settings, monitor, registry, RunManager(monitor, registry))
        services._stack.push_async_callback(monitor.stop)
        if settings.demo:
            try:
                await services._start_demo()
            except BaseException:
                await services.close()
                raise
        return services

    async def _start_demo(self) -> None:
        # Imported here: the demo is optional and the API must not depend on it otherwise.
        from crawlscope.demo.collection import demo_collection
        from crawlscope.demo.session import running_demo_site

        scale = self.settings.demo_scale
        site = await self._stack.enter_async_context(running_demo_site(scale=scale))
        self.demo_url = site.url
        self.demo_site = site
        self.registry.register(
            demo_collection(dataset=f"demo_sellers_{scale}_{site.catalog.seed}"),
            description=f"Crawl the bundled demo marketplace at {site.url} ({scale}).",
            defaults={"base_url": site.url},
        )
        run = await self.manager.start("demo")
        log.info("demo site on %s, demo run %s started", site.url, run.run_id)

    async def close(self) -> None:
        """Cancel local runs, stop the demo site, store everything and close the database."""
        await self.manager.shutdown()
        await self._stack.aclose()


def get_services(request: Request) -> Services:
    """FastAPI dependency: the app's ``Services``."""
    services: Services = request.app.state.services
    return services
