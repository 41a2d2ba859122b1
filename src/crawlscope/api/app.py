"""The FastAPI application: routers, error handling, lifespan and the dashboard."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from crawlscope import __version__
from crawlscope.api.errors import install_error_handlers
from crawlscope.api.routers import auth, health, ingest, runs, streams
from crawlscope.api.services import Services
from crawlscope.api.static import mount_dashboard
from crawlscope.config import Settings
from crawlscope.registry import CollectionRegistry

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None, *, registry: CollectionRegistry | None = None
) -> FastAPI:
    """The crawlscope server. Everything stateful opens in the lifespan, not here."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await Services.open(settings, registry)
        app.state.services = services
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(
        title="crawlscope",
        version=__version__,
        description="Run parallel data-collection jobs and watch every worker live.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    for module in (health, runs, streams, ingest, auth):
        app.include_router(module.router)
    mount_dashboard(app)
    return app
