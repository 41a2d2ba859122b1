"""Liveness, readiness and system health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from crawlscope.api.auth import Principal, Role, require
from crawlscope.api.errors import error_body
from crawlscope.api.services import Services, get_services
from crawlscope.system import sample_system

__all__ = ["router"]

router = APIRouter(tags=["health"])
ServicesDep = Annotated[Services, Depends(get_services)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "database unreachable or not migrated"}})
async def readyz(services: ServicesDep) -> Any:
    """The database is reachable and its schema is current."""
    database = services.monitor.database
    if not await database.ping():
        return JSONResponse(error_body("unavailable", "database unreachable"), status_code=503)
    if not await database.migrations_current():
        return JSONResponse(
            error_body("unavailable", "database schema is not up to date"), status_code=503
        )
    return {"status": "ready"}


@router.get("/api/health/system")
async def system_health(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> dict[str, Any]:
    """CPU, memory, disk, connections, active runs and workers of this server."""
    return await sample_system(services.monitor)


@router.get("/api/health/services")
async def services_health(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> dict[str, Any]:
    """The database, the hub and the recorder."""
    monitor = services.monitor
    return {
        "database": {
            "url": monitor.database.display_url,
            "reachable": await monitor.database.ping(),
            "backend": "sqlite" if monitor.database.is_sqlite else "postgresql",
        },
        "hub": {"subscribers": monitor.hub.subscriber_count()},
        "recorder": {
            "backlog": monitor.recorder.backlog,
            "written": monitor.recorder.written,
            "failures": monitor.recorder.failures,
        },
    }
