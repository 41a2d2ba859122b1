"""The FastAPI application: routers, error handling, lifespan and the dashboard."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from crawlscope import __version__
from crawlscope.access import auth_mode
from crawlscope.api.access_log import AccessLog
from crawlscope.api.docs_pages import mount_api_docs
from crawlscope.api.errors import install_error_handlers
from crawlscope.api.routers import (
    alerts,
    analytics,
    auth,
    datasets,
    health,
    ingest,
    ingest_items,
    metrics,
    overview,
    run_control,
    runs,
    schedules,
    streams,
    system_history,
    websockets,
    workers,
)
from crawlscope.api.schemas import install_msgspec_schemas
from crawlscope.api.security_headers import SecurityHeaders
from crawlscope.api.services import Services
from crawlscope.api.static import mount_dashboard
from crawlscope.config import Settings
from crawlscope.registry import CollectionRegistry

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    registry: CollectionRegistry | None = None,
    freeze_gc: bool = False,
) -> FastAPI:
    """The crawlscope server. Everything stateful opens in the lifespan, not here.

    ``freeze_gc`` (set by ``crawlscope serve``) freezes the start-up heap, see below.
    """
    settings = settings or Settings()
    # Decided (and an unsafe CRAWLSCOPE_AUTH=off refused) before anything is served.
    mode = auth_mode(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await Services.open(settings, registry)
        app.state.services = services
        if freeze_gc:
            # Everything loaded so far (modules, app, schema) lives as long as the process:
            # moving it out of the collector's reach keeps full collections, which otherwise
            # took 50-90 ms while the hub's ring buffers fill, to a few milliseconds. Only
            # for a process that serves one app: frozen garbage is never collected.
            gc.collect()
            gc.freeze()
        log.info("access control: %s", mode.reason)
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(
        title="crawlscope",
        version=__version__,
        description="Run parallel data-collection jobs and watch every worker live.",
        lifespan=lifespan,
        # Served from the package instead (docs_pages): FastAPI's load from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.auth_mode = mode
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(SecurityHeaders)
    if settings.access_log:
        # Outermost: it times and logs what the client got, headers and errors included.
        app.add_middleware(AccessLog)
    routers = (
        health,
        metrics,
        system_history,
        runs,
        run_control,
        overview,
        schedules,
        alerts,
        analytics,
        datasets,
        streams,
        websockets,
        workers,
        ingest,
        ingest_items,
        auth,
    )
    for module in routers:
        app.include_router(module.router)
    install_msgspec_schemas(app)
    mount_api_docs(app)
    mount_dashboard(app)
    return app
