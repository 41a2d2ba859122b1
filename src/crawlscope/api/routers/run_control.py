"""Pause, resume and cancel a run, wherever it executes (``RunManager.control``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from crawlscope.api.errors import ApiError
from crawlscope.api.routers.runs import Operator, RunId, ServicesDep, not_found_as_404
from crawlscope.api.schemas import ControlAnswer, documented, errors, json_response
from crawlscope.api.services import Services
from crawlscope.manager import RunDetail, TransitionNotAllowed
from crawlscope.status import ControlCommand

__all__ = ["router"]

router = APIRouter(tags=["runs"])

_RESPONSES = {
    **documented(ControlAnswer, "What the command did (`queued`: its runner has not answered yet)"),
    **errors(404, 409, 422),
}


async def _control(services: Services, run_id: str, command: ControlCommand) -> Response:
    try:
        with not_found_as_404():
            result = await services.manager.control(run_id, command)
    except TransitionNotAllowed as exc:
        raise ApiError(409, str(exc)) from exc
    return json_response(
        ControlAnswer(run_id=result.run_id, outcome=result.outcome, status=result.status)
    )


@router.post("/api/runs/{run_id}/pause", response_model=None, responses=_RESPONSES)
async def pause_run(run_id: RunId, services: ServicesDep, _: Operator) -> Response:
    """Pause a running run: workers stop before their next request. 409 if not running."""
    return await _control(services, run_id, ControlCommand.PAUSE)


@router.post("/api/runs/{run_id}/resume", response_model=None, responses=_RESPONSES)
async def resume_run(run_id: RunId, services: ServicesDep, _: Operator) -> Response:
    """Resume a paused run, or continue an interrupted one from its saved frontier (in this
    server, which must have its collection registered; only the tasks that were in flight
    when it stopped run again). 409 otherwise (e.g. completed), saying why."""
    return await _control(services, run_id, ControlCommand.RESUME)


@router.post("/api/runs/{run_id}/cancel", response_model=None, responses=_RESPONSES)
async def cancel_run(run_id: RunId, services: ServicesDep, _: Operator) -> Response:
    """Cancel a pending, running or paused run. 409 if it has ended."""
    return await _control(services, run_id, ControlCommand.CANCEL)


@router.post(
    "/api/runs/{run_id}/retry",
    status_code=201,
    response_model=None,
    responses={
        **documented(RunDetail, "The new run, of the failed tasks only", 201),
        **errors(404, 409, 422),
    },
)
async def retry_failed_tasks(run_id: RunId, services: ServicesDep, _: Operator) -> Response:
    """Start a new run of this run's tasks that failed for good (same collection and
    params; its `run_started` names this run as `retry_of`). 409 when the run is still
    active, has no failed tasks, or its collection is not registered here."""
    manager = services.manager
    try:
        with not_found_as_404():
            run = await manager.retry_failed(run_id)
    except TransitionNotAllowed as exc:
        raise ApiError(409, str(exc)) from exc
    with not_found_as_404():
        detail = await manager.detail(run.run_id)
    response = json_response(detail, status_code=201)
    response.headers["Location"] = f"/api/runs/{run.run_id}"
    return response
