"""Runs: list, start, read one, its workers, sites, stored events and chart series.

Thin on purpose: validation of the HTTP input happens here (FastAPI, ``schemas``), what
it means happens in ``RunManager``; responses are msgspec frames (``json_response``).
Pause/resume/cancel are in ``run_control``, the overview and collections in ``overview``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from crawlscope.aggregate.series import RunSeries
from crawlscope.api.auth import Principal, Role, require
from crawlscope.api.errors import ApiError
from crawlscope.api.schemas import (
    MAX_START_BODY_BYTES,
    EventPage,
    ItemPage,
    RunList,
    SiteList,
    StartRunRequest,
    WorkerList,
    documented,
    errors,
    json_response,
)
from crawlscope.api.services import Services, get_services
from crawlscope.events import Action, ErrorType
from crawlscope.manager import RunDetail, UnknownRun
from crawlscope.registry import InvalidParams, UnknownCollection
from crawlscope.status import RunStatus
from crawlscope.store import EventQuery

__all__ = ["Operator", "RunId", "ServicesDep", "Viewer", "not_found_as_404", "router"]

router = APIRouter(tags=["runs"])
ServicesDep = Annotated[Services, Depends(get_services)]
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
RunId = Annotated[str, Path(description="The run's id, as `GET /api/runs` lists it.")]

# Largest values a query may carry: beyond them SQLite's 64-bit integers would overflow.
_MAX_OFFSET = 1_000_000_000
_MAX_SEQ = 2**53


@contextlib.contextmanager
def not_found_as_404() -> Iterator[None]:
    """Turn ``UnknownRun`` into the API's 404 (``field: run_id``)."""
    try:
        yield
    except UnknownRun as exc:
        raise ApiError(404, str(exc), field="run_id") from exc


def _limit_body(request: Request) -> None:
    """A start request is small; refuse big bodies before validating them."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_START_BODY_BYTES:
        raise ApiError(
            413,
            f"request body is {int(length):,} bytes; at most {MAX_START_BODY_BYTES:,} allowed",
            field="body",
        )


@router.get(
    "/api/runs",
    response_model=None,
    responses={**documented(RunList, "Runs, newest first"), **errors(422)},
)
async def list_runs(
    services: ServicesDep,
    _: Viewer,
    status: Annotated[RunStatus | None, Query(description="Only runs in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=_MAX_OFFSET, description="Runs to skip.")] = 0,
) -> Response:
    """Runs, newest first, with the number matching the filter."""
    runs, total = await services.manager.list_runs(status=status, limit=limit, offset=offset)
    return json_response(RunList(runs=runs, total=total, limit=limit, offset=offset))


@router.post(
    "/api/runs",
    status_code=201,
    response_model=None,
    dependencies=[Depends(_limit_body)],
    responses={
        **documented(RunDetail, "The run was started", 201),
        **errors(400, 413, 422),
    },
)
async def start_run(body: StartRunRequest, services: ServicesDep, _: Operator) -> Response:
    """Start a registered collection with parameters (see `GET /api/collections`).

    400 for an unknown collection (`field: collection`) or bad parameters
    (`field: params.<name>`, or `workers`); nothing is stored then.
    """
    manager = services.manager
    try:
        run = await manager.start(body.collection, body.params, workers=body.workers)
    except UnknownCollection as exc:
        raise ApiError(400, str(exc), field="collection") from exc
    except InvalidParams as exc:
        raise ApiError(400, str(exc), field=exc.field) from exc
    with not_found_as_404():
        detail = await manager.detail(run.run_id)
    response = json_response(detail, status_code=201)
    response.headers["Location"] = f"/api/runs/{run.run_id}"
    return response


@router.get(
    "/api/runs/{run_id}",
    response_model=None,
    responses={**documented(RunDetail, "The run"), **errors(404, 422)},
)
async def get_run(run_id: RunId, services: ServicesDep, _: Viewer) -> Response:
    """The run's frame: status, params, totals, progress, throughput, ETA, workers, sites.

    Live while this server aggregates the run (`live: true`), else its last stored frame.
    """
    with not_found_as_404():
        return json_response(await services.manager.detail(run_id))


@router.get(
    "/api/runs/{run_id}/workers",
    response_model=None,
    responses={**documented(WorkerList, "Every worker card"), **errors(404, 422)},
)
async def run_workers(run_id: RunId, services: ServicesDep, _: Viewer) -> Response:
    """Every worker's state and metrics; for finished runs, as stored at the end."""
    with not_found_as_404():
        frame = await services.manager.frame(run_id)
    return json_response(WorkerList(run_id=frame.run_id, workers=frame.workers))


@router.get(
    "/api/runs/{run_id}/sites",
    response_model=None,
    responses={**documented(SiteList, "Every site of the run"), **errors(404, 422)},
)
async def run_sites(run_id: RunId, services: ServicesDep, _: Viewer) -> Response:
    """Per-site requests, errors by type, latency and circuit-breaker state."""
    with not_found_as_404():
        frame = await services.manager.frame(run_id)
    return json_response(SiteList(run_id=frame.run_id, sites=frame.sites))


@router.get(
    "/api/runs/{run_id}/events",
    response_model=None,
    responses={**documented(EventPage, "A page of stored events"), **errors(404, 422)},
)
async def run_events(
    run_id: RunId,
    services: ServicesDep,
    _: Viewer,
    after_seq: Annotated[
        int, Query(ge=0, le=_MAX_SEQ, description="Only events with a greater seq.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=5000, description="Page size.")] = 500,
    worker_id: Annotated[
        int | None,
        Query(ge=0, le=_MAX_SEQ, description="Events of this worker, or produced by it."),
    ] = None,
    action: Annotated[Action | None, Query(description="Only this action.")] = None,
    error_type: Annotated[ErrorType | None, Query(description="Only this error type.")] = None,
) -> Response:
    """Stored events in seq order. Page with `after_seq=next_after_seq` until it is null."""
    query = EventQuery(
        run_id=run_id,
        after_seq=after_seq,
        limit=limit,
        worker_id=worker_id,
        action=action,
        error_type=error_type,
    )
    with not_found_as_404():
        events = await services.manager.events(query)
    next_after = events[-1].seq if len(events) == limit else None
    return json_response(EventPage(events=events, next_after_seq=next_after))


@router.get(
    "/api/runs/{run_id}/series",
    response_model=None,
    responses={**documented(RunSeries, "The run's chart series"), **errors(404, 422)},
)
async def run_series(
    run_id: RunId,
    services: ServicesDep,
    _: Viewer,
    points: Annotated[
        int, Query(ge=10, le=600, description="At most this many buckets over the run.")
    ] = 120,
) -> Response:
    """Requests/s, items/s, errors/s by type and p50/p95 latency over the whole run.

    Computed from the stored events in buckets of whole seconds spanning the run's start
    to its end (or now); a bucket without a finished request has no latency keys.
    """
    with not_found_as_404():
        return json_response(await services.manager.series(run_id, points))


@router.get(
    "/api/runs/{run_id}/items",
    response_model=None,
    responses={**documented(ItemPage, "A page of the run's dataset items"), **errors(404, 422)},
)
async def run_items(
    run_id: RunId,
    services: ServicesDep,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=_MAX_OFFSET, description="Items to skip.")] = 0,
) -> Response:
    """Items the run inserted into its dataset or saw last, ordered by their dedupe key."""
    with not_found_as_404():
        dataset, total, items = await services.manager.items(run_id, limit=limit, offset=offset)
    return json_response(ItemPage(run_id=run_id, dataset=dataset, total=total, items=items))
