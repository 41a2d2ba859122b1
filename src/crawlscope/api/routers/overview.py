"""The overview page's data and the collections a run can be started from."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from crawlscope.api.routers.runs import ServicesDep, Viewer
from crawlscope.api.schemas import CollectionList, OverviewBody, documented, json_response

__all__ = ["router"]

router = APIRouter(tags=["overview"])


@router.get(
    "/api/collections",
    response_model=None,
    responses=documented(CollectionList, "Registered collections"),
)
async def collections(services: ServicesDep, _: Viewer) -> Response:
    """Collections `POST /api/runs` can start: phases, parameter schema and defaults."""
    return json_response(CollectionList(collections=[c.info() for c in services.registry]))


@router.get(
    "/api/overview",
    response_model=None,
    responses=documented(OverviewBody, "Today's totals, active and recent runs"),
)
async def overview(services: ServicesDep, _: Viewer) -> Response:
    """Totals of the runs created today (UTC), the active runs and the 10 latest others."""
    view = await services.manager.overview()
    return json_response(OverviewBody(today=view.today, active=view.active, recent=view.recent))
