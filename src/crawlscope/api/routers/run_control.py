"""Pause, resume and cancel a run, wherever it executes (``RunManager.control``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from crawlscope.api.errors import ApiError
from crawlscope.api.routers.runs import Operator, RunId, ServicesDep, not_found_as_404
from crawlscope.api.schemas import ControlAnswer, documented, errors, json_response
from crawlscope.api.services import Services
from crawlscope.manager import TransitionNotAllowed
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
    """Resume a paused run. 409 if it is not paused (e.g. completed)."""
    return await _control(services, run_id, ControlCommand.RESUME)


@router.post("/api/runs/{run_id}/cancel", response_model=None, responses=_RESPONSES)
async def cancel_run(run_id: RunId, services: ServicesDep, _: Operator) -> Response:
    """Cancel a pending, running or paused run. 409 if it has ended."""
    return await _control(services, run_id, ControlCommand.CANCEL)
