"""System health over time: this server's samples (every 10 s, kept a week) and those of
the hosts remote runs report from."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from crawlscope.api.errors import ApiError
from crawlscope.api.routers.runs import ServicesDep, Viewer
from crawlscope.api.schemas import documented, errors, json_response
from crawlscope.store.system_samples import SampleHistory

__all__ = ["router"]

router = APIRouter(tags=["health"])

Hours = Annotated[
    float, Query(gt=0, le=168, description="How far back, in hours (at most a week).")
]
Points = Annotated[int, Query(ge=10, le=2000, description="At most this many points.")]
WEEK_S = 7 * 86400


async def _history(
    services: ServicesDep, source: str, hours: float, points: int, interval_s: float
) -> SampleHistory:
    until = int(time.time()) + 1
    since = until - int(hours * 3600)
    return await services.store.system_samples.history(
        source, since=since, until=until, points=points, interval_s=max(1, round(interval_s))
    )


@router.get(
    "/api/health/system/history",
    response_model=None,
    responses={**documented(SampleHistory, "This server's system samples"), **errors(422)},
)
async def system_history(
    services: ServicesDep, _: Viewer, hours: Hours = 24.0, points: Points = 720
) -> Response:
    """CPU, memory and disk use, RSS, connections, active runs and running workers of this
    server over the last ``hours``, averaged into at most ``points`` buckets (``every_s``
    says their width)."""
    sampler = services.system
    history = await _history(services, sampler.source, hours, points, sampler.every_s)
    return json_response(history)


@router.get(
    "/api/runs/{run_id}/host",
    response_model=None,
    responses={**documented(SampleHistory, "The run's host samples"), **errors(404, 422)},
)
async def run_host_history(
    services: ServicesDep,
    _: Viewer,
    run_id: Annotated[str, Path(min_length=1, max_length=64)],
    hours: Annotated[
        float | None,
        Query(gt=0, le=168, description="How far back, in hours; default: the run's life."),
    ] = None,
    points: Points = 360,
) -> Response:
    """CPU and memory of the machine a remote run reports from, as its runner sent them
    with its batches (empty for runs executed in the server: see the server's own). By
    default over the run's life (a minute either side), at most a week."""
    record = await services.store.runs.get(run_id)
    if record is None:
        raise ApiError(404, f"no run {run_id!r}", field="run_id")
    source = f"run:{run_id}"
    # A runner samples at its own pace (HttpReporter.host_every_s): no wider floor.
    if hours is not None:
        history = await _history(services, source, hours, points, 1.0)
        return json_response(history)
    now = time.time()
    began = record.started_at or record.created_at
    until = int(record.ended_at.timestamp() if record.ended_at else now) + 60
    since = max(int(began.timestamp()) - 60, until - WEEK_S)
    history = await services.store.system_samples.history(
        source, since=since, until=until, points=points, interval_s=1
    )
    return json_response(history)
