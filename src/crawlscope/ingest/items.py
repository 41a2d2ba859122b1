"""The items wire format: a remote runner's dataset items for ``POST /api/ingest/items``.

A request carries one batch of one run's items for one dataset, each with its dedupe key.
``batch_id`` (made by the runner, the same on every retry of the batch) lets the server
answer a retried batch exactly as the first time, so the runner's inserted/updated/deduped
counts stay right even when an answer was lost. The answer lists the keys by what
happened to them; nothing is answered before it is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

import msgspec

from crawlscope.ingest.wire import MAX_ID_LENGTH, NO_NUL, IngestRejected

__all__ = [
    "MAX_DATASET_LENGTH",
    "MAX_ITEM_NESTING",
    "MAX_KEY_LENGTH",
    "ItemBatch",
    "ItemBatchResult",
    "WireItem",
    "decode_items",
    "item_index",
    "items_schema",
]

MAX_KEY_LENGTH: Final = 512
"""A dedupe key is stored in a 512-character column."""
MAX_DATASET_LENGTH: Final = 200
"""A dataset name is stored in a 200-character column."""
MAX_ITEM_NESTING: Final = 64
"""How deep an item's JSON may nest (deeper values could not be re-encoded safely)."""

_INDEX = re.compile(r"^items\[(\d+)\]")
_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_DATASET_LENGTH)]
_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]


class WireItem(msgspec.Struct, forbid_unknown_fields=True):
    """One item: its dedupe key (as the collection computed it) and its data."""

    key: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEY_LENGTH)]
    data: Any


class ItemBatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The body of ``POST /api/ingest/items``.

    ``items`` have distinct keys. ``batch_id`` is required with items. ``count`` asks for
    the dataset's size in the answer (a runner asks once, at the end of its run).
    """

    run_id: _Id
    dataset: _Name
    batch_id: _Id | None = None
    items: list[WireItem] = []
    count: bool = False


class ItemBatchResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What ``POST /api/ingest/items`` answers: the keys by what happened to them.

    ``replayed`` when the batch had been stored before (a retry after a lost answer): the
    lists are that first answer. ``dataset_size`` only when the request asked (``count``).
    """

    dataset: str
    inserted: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    replayed: bool = False
    dataset_size: int | None = None


def item_index(field: str | None) -> int | None:
    """The item index a rejection names (``items[3].key`` -> 3), if any."""
    match = _INDEX.match(field or "")
    return int(match.group(1)) if match else None


_decoder = msgspec.json.Decoder(ItemBatch)


def _rejected(exc: msgspec.ValidationError) -> IngestRejected:
    text = str(exc)
    reason, _, where = text.rpartition(" - at ")
    if not reason:
        reason, where = text, ""
    path = where.strip("`").removeprefix("$").removeprefix(".")
    unknown = re.match(r"Object (?:contains unknown|missing required) field `([^`]*)`", reason)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
    return IngestRejected(422, f"{path}: {reason}" if path else reason, path or None)


def decode_items(body: bytes, *, max_items: int) -> ItemBatch:
    """Decode and validate a whole body; ``IngestRejected`` names what is wrong.

    413 for more than ``max_items`` items; otherwise 422 with the field path
    (``items[3].key``, ``batch_id``, or ``body`` when the body is not JSON).
    """
    try:
        batch = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise _rejected(exc) from exc
    except msgspec.DecodeError as exc:
        raise IngestRejected(422, f"body is not valid JSON: {exc}", "body") from exc
    except RecursionError as exc:
        raise IngestRejected(422, "body is nested too deeply", "body") from exc
    if len(batch.items) > max_items:
        raise IngestRejected(
            413, f"{len(batch.items)} items in one batch; the limit is {max_items}", "items"
        )
    if batch.items and batch.batch_id is None:
        raise IngestRejected(422, "batch_id: required when items are sent", "batch_id")
    for name in ("run_id", "dataset", "batch_id"):
        value = getattr(batch, name)
        if value is not None and "\x00" in value:
            raise IngestRejected(422, f"{name}: NUL characters are not allowed", name)
    first: dict[str, int] = {}
    for index, item in enumerate(batch.items):
        if "\x00" in item.key:
            path = f"items[{index}].key"
            raise IngestRejected(422, f"{path}: NUL characters are not allowed", path)
        earlier = first.setdefault(item.key, index)
        if earlier != index:
            path = f"items[{index}].key"
            raise IngestRejected(
                422, f"{path}: key {item.key!r} is also items[{earlier}]'s; keys must differ", path
            )
        if _too_deep(item.data):
            path = f"items[{index}].data"
            raise IngestRejected(422, f"{path}: nested deeper than {MAX_ITEM_NESTING} levels", path)
        if isinstance(item.data, dict) and any("\x00" in name for name in item.data):
            # Top-level names become CSV columns, read as text by the database.
            path = f"items[{index}].data"
            raise IngestRejected(422, f"{path}: a field name contains NUL", path)
    return batch


def _too_deep(value: Any) -> bool:
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_ITEM_NESTING:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((v, depth + 1) for v in children if isinstance(v, dict | list))
    return False


def items_schema(max_items: int) -> dict[str, Any]:
    """The request body's JSON Schema for OpenAPI (what JSON Schema can state of the
    checks ``decode_items`` makes)."""
    schema = msgspec.json.schema(ItemBatch)
    defs = schema.pop("$defs", {})
    body: dict[str, Any] = dict(defs["ItemBatch"])
    item = dict(defs["WireItem"])
    item["description"] = (
        f"One item: `key` (1..{MAX_KEY_LENGTH} characters, no NUL, distinct within the "
        f"batch) and `data`, any JSON value nested at most {MAX_ITEM_NESTING} levels."
    )
    body["properties"] = dict(body["properties"])
    for name in ("run_id", "dataset"):
        body["properties"][name] = {**body["properties"][name], "pattern": NO_NUL}
    batch_id = {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH, "pattern": NO_NUL}
    body["properties"]["batch_id"] = {"anyOf": [batch_id, {"type": "null"}], "default": None}
    item["properties"] = {
        **item["properties"],
        "key": {**item["properties"]["key"], "pattern": NO_NUL},
    }
    body["properties"]["items"] = {"type": "array", "items": item, "maxItems": max_items}
    # What decode_items checks: a batch with items names its batch_id.
    body["if"] = {"properties": {"items": {"minItems": 1}}, "required": ["items"]}
    body["then"] = {"required": ["batch_id"], "properties": {"batch_id": batch_id}}
    body["description"] = (
        "One batch of one run's items for one dataset. `batch_id` (required with items) "
        "is the same on every retry of the batch: a batch stored before is answered as the "
        "first time, not written again. `count`: include the dataset's size in the answer."
    )
    return body
