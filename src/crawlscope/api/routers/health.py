"""Liveness, readiness and system health."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from crawlscope.api.auth import Principal, Role, require
from crawlscope.api.errors import error_body
from crawlscope.api.schemas import TargetSites, documented, json_response
from crawlscope.api.services import Services, get_services
from crawlscope.reachability import ServiceState
from crawlscope.site_health import SiteHealth, site_health
from crawlscope.store.health import StorageStatus
from crawlscope.store.recorder import RecorderStats

__all__ = ["router"]

router = APIRouter(tags=["health"])
ServicesDep = Annotated[Services, Depends(get_services)]


class DatabaseHealth(ServiceState, kw_only=True):
    """The database: where, which backend, and whether it answers (its probe's state)."""

    url: str
    backend: str
    reachable: bool
    """The last check answered (``state`` is ``up``)."""


class RedisHealth(ServiceState, kw_only=True):
    """Redis (the event bus of several API processes): whether it answers, and the stored
    events waiting to be shown live until it does."""

    url: str
    """Without credentials."""
    prefix: str
    reachable: bool
    waiting: int
    """Stored events in the bus's outbox, not on Redis yet (bounded by ``outbox_size``)."""
    not_shown: int
    """Stored events dropped from the live path since start (the outbox was full): they
    are in the database; readers got a gap and read them there."""


class BusFigures(msgspec.Struct, kw_only=True):
    """The event bus of this process."""

    kind: str
    """``hub`` (in-process) or ``redis``."""
    subscribers: int


class ServicesHealth(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``GET /api/health/services``."""

    database: DatabaseHealth
    redis: RedisHealth | None = None
    """Only with ``redis_url``."""
    hub: BusFigures
    recorder: RecorderStats
    storage: StorageStatus
    sites: list[SiteHealth]


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


@router.get(
    "/api/health/services",
    response_model=None,
    responses=documented(ServicesHealth, "The database, Redis, the bus, the recorder, sites"),
)
async def services_health(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> Response:
    """The database and Redis (reachable or not, since when, the last error; each checked
    every 2 s), the event bus, the recorder, storage, and each target site of the runs live
    here: its breaker and last success (``site_health``)."""
    store = services.store
    pipeline = services.monitor.health()
    database = services.probes["database"].snapshot()
    body = ServicesHealth(
        database=DatabaseHealth(
            **msgspec.structs.asdict(database),
            url=store.display_url,
            backend=store.backend,
            reachable=database.state == "up",
        ),
        redis=_redis_health(services),
        hub=BusFigures(
            kind="redis" if "redis" in services.probes else "hub", subscribers=pipeline.subscribers
        ),
        recorder=pipeline.recorder,
        storage=pipeline.storage,
        sites=await _target_sites(services),
    )
    return json_response(body)


def _redis_health(services: Services) -> RedisHealth | None:
    probe = services.probes.get("redis")
    url = services.settings.redis_url
    if probe is None or not url:
        return None
    from crawlscope.bus.redis_streams import RedisBus  # redis-py: only with redis_url

    bus = services.bus
    state = probe.snapshot()
    parts = urlsplit(url)
    shown_url = parts._replace(
        netloc=parts.hostname or "" if parts.port is None else f"{parts.hostname}:{parts.port}"
    ).geturl()
    return RedisHealth(
        **msgspec.structs.asdict(state),
        url=shown_url,
        prefix=services.settings.redis_prefix,
        reachable=state.state == "up",
        waiting=bus.waiting if isinstance(bus, RedisBus) else 0,
        not_shown=bus.dropped if isinstance(bus, RedisBus) else 0,
    )


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
