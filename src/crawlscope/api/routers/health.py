"""Liveness, readiness and system health."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from crawlscope.api.auth import Principal, Role, require
from crawlscope.api.errors import error_body
from crawlscope.api.schemas import TargetSites, documented, json_response
from crawlscope.api.services import Services, get_services
from crawlscope.site_health import SiteHealth, site_health

__all__ = ["router"]

router = APIRouter(tags=["health"])
ServicesDep = Annotated[Services, Depends(get_services)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        503: {"description": "events cannot be stored, database unreachable or not migrated"}
    },
)
async def readyz(services: ServicesDep) -> Any:
    """Events can be stored (the last write worked and a database file is still in place),
    the database answers and its schema is current. 503 names what is wrong."""
    store = services.store
    storage = services.monitor.storage_status()
    if not storage.ok:
        message = f"events cannot be stored: {storage.sentence()} ({storage.advice})"
        return JSONResponse(error_body("unavailable", message), status_code=503)
    if not await store.ping():
        return JSONResponse(error_body("unavailable", "database unreachable"), status_code=503)
    if not await store.schema_current():
        return JSONResponse(
            error_body("unavailable", "database schema is not up to date"), status_code=503
        )
    return {"status": "ready"}


@router.get("/api/health/system")
async def system_health(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> dict[str, Any]:
    """CPU, memory, disk, connections, active runs and workers of this server."""
    return await services.live_sources.sample_system()


@router.get("/api/health/services")
async def services_health(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> dict[str, Any]:
    """The database, the event bus, the recorder, and each target site of the runs live
    here: its breaker and last success (``site_health``)."""
    store = services.store
    pipeline = services.monitor.health()
    return {
        "database": {
            "url": store.display_url,
            "reachable": await store.ping(),
            "backend": store.backend,
        },
        "hub": {"subscribers": pipeline.subscribers},
        "recorder": msgspec.structs.asdict(pipeline.recorder),
        "storage": msgspec.to_builtins(pipeline.storage),
        "sites": msgspec.to_builtins(await _target_sites(services)),
    }


@router.get(
    "/api/health/sites",
    response_model=None,
    responses=documented(TargetSites, "Every target site of the runs live here"),
)
async def sites_health(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> Response:
    """Each target site of the runs live in this server: the worst breaker state among
    the active runs using it, its last success, requests, and the runs."""
    return json_response(TargetSites(sites=await _target_sites(services)))


async def _target_sites(services: Services) -> list[SiteHealth]:
    frames = services.frames
    live = [await frames.frame(run.run_id, with_workers=False) for run in frames.live_runs()]
    return site_health(frame for frame in live if frame is not None)
