"""Schedules: list, create, read, change, delete, pause and resume (``ScheduleService``).

Reading needs the viewer role, changing the operator role. Bad input is a 400 naming the
field (a bad cron expression, an unknown time zone or collection, refused parameters, an
interval below the server's minimum), a taken name a 409.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from crawlscope.api.errors import ApiError
from crawlscope.api.routers.runs import Operator, ServicesDep, Viewer
from crawlscope.api.schemas import (
    MAX_START_BODY_BYTES,
    ScheduleCreate,
    ScheduleList,
    ScheduleUpdate,
    documented,
    errors,
    json_response,
)
from crawlscope.api.services import Services
from crawlscope.schedules.model import ScheduleError, ScheduleSpec
from crawlscope.schedules.service import UnknownSchedule
from crawlscope.schedules.views import ScheduleView
from crawlscope.store.schedules import ScheduleExists

__all__ = ["router"]

router = APIRouter(tags=["schedules"])
ScheduleId = Annotated[
    int,
    Path(ge=1, le=2**31 - 1, description="The schedule's id, as `GET /api/schedules` lists it."),
]

_BAD = (
    "Bad input, `error.field` names it: a bad cron expression, an unknown time zone or "
    "collection, refused parameters, an interval below the minimum"
)


def _limit_body(request: Request) -> None:
    """A schedule is a few fields and parameters; refuse big bodies before reading them."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_START_BODY_BYTES:
        raise ApiError(
            413,
            f"request body is {int(length):,} bytes; at most {MAX_START_BODY_BYTES:,} allowed",
            field="body",
        )


@contextlib.contextmanager
def _as_api_errors() -> Iterator[None]:
    try:
        yield
    except UnknownSchedule as exc:
        raise ApiError(404, str(exc), field="schedule_id") from exc
    except ScheduleExists as exc:
        raise ApiError(409, str(exc), field="name") from exc
    except ScheduleError as exc:
        raise ApiError(400, str(exc), field=exc.field) from exc


async def _shown(services: Services, schedule_id: int, status_code: int = 200) -> Response:
    record = await services.schedules.get(schedule_id)
    return json_response(await services.schedules.view(record), status_code=status_code)


@router.get(
    "/api/schedules",
    response_model=None,
    responses=documented(ScheduleList, "Every schedule, by name"),
)
async def list_schedules(services: ServicesDep, _: Viewer) -> Response:
    """Every schedule with its next run (UTC and its zone), last run and recent slots."""
    return json_response(ScheduleList(schedules=await services.schedules.views()))


@router.post(
    "/api/schedules",
    status_code=201,
    response_model=None,
    dependencies=[Depends(_limit_body)],
    responses={
        **documented(ScheduleView, "The schedule was created", 201),
        **errors(400, 409, 413, 422, s400=_BAD, s409="A schedule with this name exists"),
    },
)
async def create_schedule(body: ScheduleCreate, services: ServicesDep, _: Operator) -> Response:
    """Create a schedule of a registered collection: an interval or a cron expression in
    a time zone, with its overlap and catch-up policies."""
    with _as_api_errors():
        record = await services.schedules.create(ScheduleSpec(**body.model_dump()))
        response = await _shown(services, record.id, 201)
    response.headers["Location"] = f"/api/schedules/{record.id}"
    return response


@router.get(
    "/api/schedules/{schedule_id}",
    response_model=None,
    responses={
        **documented(ScheduleView, "The schedule"),
        **errors(404, 422, s404="No such schedule"),
    },
)
async def get_schedule(schedule_id: ScheduleId, services: ServicesDep, _: Viewer) -> Response:
    """One schedule with its next run, last run and the runs it started (newest first)."""
    with _as_api_errors():
        return await _shown(services, schedule_id)


@router.patch(
    "/api/schedules/{schedule_id}",
    response_model=None,
    dependencies=[Depends(_limit_body)],
    responses={
        **documented(ScheduleView, "The changed schedule"),
        **errors(400, 404, 409, 413, 422, s400=_BAD, s404="No such schedule", s409="Name taken"),
    },
)
async def update_schedule(
    schedule_id: ScheduleId, body: ScheduleUpdate, services: ServicesDep, _: Operator
) -> Response:
    """Change some fields. A new timing (interval, cron, zone) counts from now."""
    changes = body.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field not in ("interval_s", "cron"):
            raise ApiError(422, f"{field}: may not be null", field=field)
    with _as_api_errors():
        await services.schedules.update(schedule_id, changes)
        return await _shown(services, schedule_id)


@router.delete(
    "/api/schedules/{schedule_id}",
    status_code=204,
    response_model=None,
    responses=errors(404, 422, s404="No such schedule"),
)
async def delete_schedule(schedule_id: ScheduleId, services: ServicesDep, _: Operator) -> Response:
    """Delete a schedule and its slot records; the runs it started are kept."""
    with _as_api_errors():
        await services.schedules.delete(schedule_id)
    return Response(status_code=204)


_TOGGLE = {**documented(ScheduleView, "The schedule"), **errors(404, 422, s404="No such schedule")}


@router.post("/api/schedules/{schedule_id}/pause", response_model=None, responses=_TOGGLE)
async def pause_schedule(schedule_id: ScheduleId, services: ServicesDep, _: Operator) -> Response:
    """Pause: no slot is taken until it is resumed. Pausing a paused schedule is a no-op."""
    with _as_api_errors():
        await services.schedules.set_enabled(schedule_id, False)
        return await _shown(services, schedule_id)


@router.post("/api/schedules/{schedule_id}/resume", response_model=None, responses=_TOGGLE)
async def resume_schedule(schedule_id: ScheduleId, services: ServicesDep, _: Operator) -> Response:
    """Resume: slots count from now; those that passed while paused are not caught up."""
    with _as_api_errors():
        await services.schedules.set_enabled(schedule_id, True)
        return await _shown(services, schedule_id)
