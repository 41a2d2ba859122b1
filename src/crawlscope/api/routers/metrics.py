"""``GET /metrics``: Prometheus metrics of this server (docs/prometheus.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crawlscope.api.auth import Principal, Role, require
from crawlscope.api.services import Services, get_services

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Metrics in the Prometheus text format (OpenMetrics when the "
            "Accept header asks for it).",
        }
    },
)
async def metrics(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    _: Annotated[Principal, Depends(require(Role.VIEWER))],
) -> Response:
    """Run, request, item, error, worker, alert and storage metrics, read at scrape time.

    Needs the viewer role where authentication is on (Prometheus: ``authorization``
    with a viewer token)."""
    exposition = services.metrics
    assert exposition is not None  # set by Services.open
    body, content_type = await exposition.render(request.headers.get("accept"))
    return Response(content=body, media_type=content_type)
