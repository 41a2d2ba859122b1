"""``POST /api/ingest/items``: a remote runner's dataset items (docs/api.md).

The route reads the body within the size limit and maps outcomes to HTTP; decoding and
validation live in ``crawlscope.ingest.items``, writing in ``ItemIngestor``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Request, Response

from crawlscope.api.auth import Role, require
from crawlscope.api.errors import ApiError
from crawlscope.api.routers.ingest import read_body
from crawlscope.api.schemas import ErrorBody, documented
from crawlscope.api.services import Services, get_services
from crawlscope.config import Settings
from crawlscope.ingest import IngestRejected, IngestUnavailable
from crawlscope.ingest.item_ingestor import ItemIngestor
from crawlscope.ingest.items import ItemBatchResult, decode_items, items_schema

__all__ = ["router"]

router = APIRouter(tags=["ingest"])

_encode = msgspec.json.Encoder().encode
_BODY_SCHEMA = items_schema(int(Settings.model_fields["ingest_max_items"].default))
ServicesDep = Annotated[Services, Depends(get_services)]


def get_item_ingestor(request: Request, services: ServicesDep) -> ItemIngestor:
    """The app's ``ItemIngestor``, bound to the current services (a new one per lifespan)."""
    ingestor: ItemIngestor | None = getattr(request.app.state, "item_ingestor", None)
    if ingestor is None or ingestor.store is not services.store:
        ingestor = ItemIngestor(services.store)
        request.app.state.item_ingestor = ingestor
    return ingestor


@router.post(
    "/api/ingest/items",
    summary="Store a batch of a remote run's dataset items",
    dependencies=[Depends(require(Role.INGEST))],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BODY_SCHEMA}},
        }
    },
    responses={
        **documented(ItemBatchResult, "Stored; the keys by what happened to them"),
        **documented(ErrorBody, "Content-Length is not a number", 400),
        **documented(
            ErrorBody,
            "The run is unknown, not a remote run, or writes to another dataset; or "
            "`batch_id` was used before with other items",
            409,
        ),
        **documented(ErrorBody, "The body or the number of items exceeds the limit", 413),
        **documented(ErrorBody, "Invalid; `error.field` names the index and field", 422),
        **documented(ErrorBody, "The database is unavailable; retry later", 503),
    },
)
async def ingest_items(
    request: Request,
    services: ServicesDep,
    ingestor: Annotated[ItemIngestor, Depends(get_item_ingestor)],
) -> Response:
    """Upsert the batch's items into the run's dataset by key and content hash.

    Idempotent by `batch_id`: a batch stored before is answered with its first answer
    (`replayed: true`) and not written again, so a retry never doubles the dataset or its
    counts. The answer is sent once the items are stored.
    """
    settings = services.settings
    body = await read_body(request, settings.ingest_max_bytes)
    try:
        batch = decode_items(body, max_items=settings.ingest_max_items)
        result = await ingestor.ingest(batch)
    except IngestRejected as exc:
        raise ApiError(exc.status, exc.message, field=exc.field) from exc
    except IngestUnavailable as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "1"}) from exc
    # Items are a sign of life too: a run marked interrupted meanwhile is revived by its
    # next events; until then the sweep must not mark it again.
    services.heard_from([batch.run_id])
    return Response(_encode(result), media_type="application/json")
