"""Datasets: the list, and exports of a dataset or of one run's items (JSONL, CSV).

Exports stream: the response starts with the first window of items and the server holds
one window at a time (``crawlscope.export``), whatever the dataset's size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse

from crawlscope.api.errors import ApiError
from crawlscope.api.routers.runs import RunId, ServicesDep, Viewer, not_found_as_404
from crawlscope.api.schemas import documented, errors, json_response
from crawlscope.api.services import Services
from crawlscope.export import (
    MEDIA_TYPES,
    ExportFormat,
    attachment,
    export_chunks,
    export_columns,
    export_filename,
    parse_fields,
)
from crawlscope.store.datasets import DatasetInfo, TooManyFields

__all__ = ["router"]

router = APIRouter(tags=["datasets"])

FormatQuery = Annotated[
    ExportFormat, Query(alias="format", description="`jsonl` (one item per line) or `csv`.")
]
FieldsQuery = Annotated[
    str | None,
    Query(
        max_length=4096,
        description="CSV only: the columns, comma-separated (default: every top-level field "
        "of the exported items, sorted).",
    ),
]
_EXPORTED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, streamed as an attachment",
        "content": {
            MEDIA_TYPES[ExportFormat.JSONL]: {"schema": {"type": "string"}},
            MEDIA_TYPES[ExportFormat.CSV]: {"schema": {"type": "string"}},
        },
    }
}


class DatasetList(msgspec.Struct, kw_only=True):
    """Every dataset with items, by name."""

    datasets: list[DatasetInfo]


@router.get(
    "/api/datasets",
    response_model=None,
    responses=documented(DatasetList, "Every dataset, its item count and latest change"),
)
async def list_datasets(services: ServicesDep, _: Viewer) -> Response:
    """Datasets that hold items: `name`, `items` and `updated_at` (the latest change)."""
    return json_response(DatasetList(datasets=await services.store.datasets.datasets()))


@router.get(
    "/api/datasets/{name}/export",
    response_model=None,
    responses={**_EXPORTED, **errors(404, 422, s404="No dataset with that name holds items")},
)
async def export_dataset(
    name: Annotated[str, Path(max_length=200, description="The dataset's name.")],
    services: ServicesDep,
    _: Viewer,
    fmt: FormatQuery = ExportFormat.JSONL,
    fields: FieldsQuery = None,
) -> StreamingResponse:
    """The whole dataset as JSONL or CSV, ordered by dedupe key (docs/api.md, Exports)."""
    if not await services.store.datasets.rows_after(name, None, limit=1):
        raise ApiError(404, f"no dataset named {name!r} holds items", field="name")
    return await _export(services, name, fmt, fields, run_id=None)


@router.get(
    "/api/runs/{run_id}/items/export",
    response_model=None,
    responses={**_EXPORTED, **errors(404, 422, s404="No such run, or the run has no dataset")},
)
async def export_run_items(
    run_id: RunId,
    services: ServicesDep,
    _: Viewer,
    fmt: FormatQuery = ExportFormat.JSONL,
    fields: FieldsQuery = None,
) -> StreamingResponse:
    """The items of one run (those `GET /api/runs/{id}/items` lists) as JSONL or CSV."""
    with not_found_as_404():
        frame = await services.manager.frame(run_id)
    if frame.dataset is None:
        raise ApiError(404, f"run {run_id!r} has no dataset", field="run_id")
    return await _export(services, frame.dataset, fmt, fields, run_id=run_id)


async def _export(
    services: Services,
    dataset: str,
    fmt: ExportFormat,
    fields: str | None,
    *,
    run_id: str | None,
) -> StreamingResponse:
    datasets = services.store.datasets
    columns: list[str] = []
    if fields is not None and fmt is not ExportFormat.CSV:
        raise ApiError(422, "fields: only for format=csv", field="fields")
    if fields is not None:
        try:
            columns = parse_fields(fields)
        except ValueError as exc:
            raise ApiError(422, f"fields: {exc}", field="fields") from exc
    elif fmt is ExportFormat.CSV:
        try:
            columns = await export_columns(datasets, dataset, run_id=run_id)
        except TooManyFields as exc:
            raise ApiError(422, f"{exc}; name the columns with fields=", field="fields") from exc

    async def body() -> AsyncIterator[bytes]:
        async for chunk in export_chunks(datasets, dataset, fmt, run_id=run_id, columns=columns):
            yield chunk

    return StreamingResponse(
        body(),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": attachment(export_filename(dataset, fmt, run_id)),
            "Cache-Control": "no-store",
        },
    )
