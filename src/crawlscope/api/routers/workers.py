"""The worker processes of the distributed work queue (``work_queue = "redis"``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from crawlscope.api.auth import Principal, Role, require
from crawlscope.api.schemas import documented, json_response
from crawlscope.api.services import Services, get_services
from crawlscope.worker_presence import WorkerProcesses

__all__ = ["router"]

router = APIRouter(tags=["health"])
ServicesDep = Annotated[Services, Depends(get_services)]


@router.get(
    "/api/health/workers",
    response_model=None,
    responses=documented(WorkerProcesses, "The worker processes there now"),
)
async def workers_health(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> Response:
    """Each `crawlscope worker` process that said it is there within the last 15 s: its
    slots, the tasks it runs now, the runs it serves, what it did since it started. Empty,
    with `work_queue: "local"`, when runs started by the servers run their tasks in the
    server."""
    settings = services.settings
    directory = services.worker_directory
    found = await directory.workers() if directory is not None else []
    return json_response(
        WorkerProcesses(
            work_queue=settings.work_queue, lease_s=settings.worker_lease_s, workers=found
        )
    )
