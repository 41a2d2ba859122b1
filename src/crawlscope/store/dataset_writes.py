"""Writing items: the upsert by key and content hash, and batches that may come twice.

``DatasetStore`` (``crawlscope.store.datasets``) runs these inside its transactions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crawlscope.store.schema import dataset_items, item_batches
from crawlscope.timestamps import utc_now

__all__ = [
    "BatchMismatch",
    "BatchOutcome",
    "WriteOutcome",
    "batch_digest",
    "content_hash",
    "record_batch",
    "stored_batch",
    "upsert",
]

_canonical = msgspec.json.Encoder(order="sorted")
_decode_outcome = msgspec.json.Decoder(dict[str, list[str]]).decode
_CHUNK = 400  # stays under SQLite's bound-parameter limit with room to spare


def content_hash(data: Any) -> str:
    """A stable hash of an item's content (key order does not matter)."""
    return hashlib.blake2b(_canonical.encode(data), digest_size=16).hexdigest()


class WriteOutcome(msgspec.Struct):
    """What happened to each key of a batch."""

    inserted: list[str]
    updated: list[str]
    unchanged: list[str]


class BatchOutcome(msgspec.Struct):
    """What a batch with an id did to each key; ``replayed`` when the batch had been
    stored before and this is that first answer again."""

    inserted: list[str]
    updated: list[str]
    unchanged: list[str]
    replayed: bool = False


class BatchMismatch(Exception):
    """A batch id already stored for the run names another dataset or other items."""


def batch_digest(dataset: str, hashes: dict[str, str]) -> str:
    """What identifies a batch's content: its dataset, keys and content hashes (in any
    order)."""
    return content_hash([dataset, sorted(hashes.items())])


async def upsert(
    conn: AsyncConnection,
    dataset: str,
    run_id: str,
    items: Sequence[tuple[str, Any]],
    hashes: dict[str, str],
) -> WriteOutcome:
    """Insert new keys, update changed ones, mark the rest seen by ``run_id``; inside the
    caller's transaction. ``hashes`` maps each key to ``content_hash`` of its item."""
    outcome = WriteOutcome([], [], [])
    now = utc_now()
    existing: dict[str, str] = {}
    keys = list(hashes)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        result = await conn.execute(
            sa.select(dataset_items.c.key, dataset_items.c.content_hash).where(
                dataset_items.c.dataset == dataset, dataset_items.c.key.in_(chunk)
            )
        )
        existing.update((row[0], row[1]) for row in result)
    inserts: list[dict[str, Any]] = []
    for key, data in items:
        digest = hashes[key]
        old = existing.get(key)
        if old is None:
            outcome.inserted.append(key)
            inserts.append(
                {
                    "dataset": dataset,
                    "key": key,
                    "data": _canonical.encode(data).decode(),
                    "content_hash": digest,
                    "first_run_id": run_id,
                    "last_run_id": run_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif old != digest:
            outcome.updated.append(key)
            await conn.execute(
                dataset_items.update()
                .where(dataset_items.c.dataset == dataset, dataset_items.c.key == key)
                .values(
                    data=_canonical.encode(data).decode(),
                    content_hash=digest,
                    last_run_id=run_id,
                    updated_at=now,
                )
            )
        else:
            outcome.unchanged.append(key)
    if inserts:
        await conn.execute(dataset_items.insert(), inserts)
    for start in range(0, len(outcome.unchanged), _CHUNK):
        await conn.execute(
            dataset_items.update()
            .where(
                dataset_items.c.dataset == dataset,
                dataset_items.c.key.in_(outcome.unchanged[start : start + _CHUNK]),
            )
            .values(last_run_id=run_id)
        )
    return outcome


async def stored_batch(
    conn: AsyncConnection, run_id: str, batch_id: str, dataset: str, digest: str
) -> BatchOutcome | None:
    """The first outcome of a batch stored before (``replayed``), or None."""
    row = (
        await conn.execute(
            sa.select(item_batches.c.dataset, item_batches.c.digest, item_batches.c.outcome).where(
                item_batches.c.run_id == run_id, item_batches.c.batch_id == batch_id
            )
        )
    ).first()
    if row is None:
        return None
    if row.dataset != dataset or row.digest != digest:
        raise BatchMismatch(
            f"batch {batch_id!r} of run {run_id!r} was stored with "
            + ("another dataset" if row.dataset != dataset else "other items")
        )
    stored = _decode_outcome(row.outcome)
    return BatchOutcome(
        stored.get("inserted", []),
        stored.get("updated", []),
        stored.get("unchanged", []),
        replayed=True,
    )


async def record_batch(
    conn: AsyncConnection,
    run_id: str,
    batch_id: str,
    dataset: str,
    digest: str,
    outcome: WriteOutcome,
) -> None:
    """Remember a batch's outcome, in the transaction that wrote its items."""
    await conn.execute(
        item_batches.insert().values(
            run_id=run_id,
            batch_id=batch_id,
            dataset=dataset,
            digest=digest,
            outcome=msgspec.json.encode(msgspec.structs.asdict(outcome)).decode(),
            created_at=utc_now(),
        )
    )
