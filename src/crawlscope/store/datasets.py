"""Dataset tables: collected items, deduplicated by key, inserted or updated in batches."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from crawlscope.store.database import Database
from crawlscope.store.schema import dataset_items
from crawlscope.timestamps import utc_now

if TYPE_CHECKING:
    from crawlscope.store.repositories import DatasetRepository

__all__ = ["DatasetSink", "DatasetStore", "WriteOutcome", "content_hash"]

_canonical = msgspec.json.Encoder(order="sorted")
_CHUNK = 400  # stays under SQLite's bound-parameter limit with room to spare


def content_hash(data: Any) -> str:
    """A stable hash of an item's content (key order does not matter)."""
    return hashlib.blake2b(_canonical.encode(data), digest_size=16).hexdigest()


class WriteOutcome(msgspec.Struct):
    """What happened to each key of a batch."""

    inserted: list[str]
    updated: list[str]
    unchanged: list[str]


class DatasetStore:
    """Reads and writes ``dataset_items``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def write(
        self, dataset: str, run_id: str, items: Sequence[tuple[str, Any]]
    ) -> WriteOutcome:
        """Upsert ``(key, data)`` pairs with distinct keys in one transaction.

        New keys are inserted, keys whose content changed are updated, the rest are left
        untouched (only ``last_run_id`` moves) and reported as unchanged.
        """
        outcome = WriteOutcome([], [], [])
        if not items:
            return outcome
        now = utc_now()
        hashes = {key: content_hash(data) for key, data in items}
        async with self.database.begin() as conn:
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
            if outcome.unchanged:
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

    async def count(self, dataset: str) -> int:
        """How many items the dataset holds."""
        async with self.database.connect() as conn:
            value = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(dataset_items)
                .where(dataset_items.c.dataset == dataset)
            )
        return int(value or 0)

    async def keys(self, dataset: str) -> list[str]:
        """Every key in the dataset, sorted."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(dataset_items.c.key)
                .where(dataset_items.c.dataset == dataset)
                .order_by(dataset_items.c.key)
            )
            return [row[0] for row in result]

    async def items(self, dataset: str, limit: int = 100, offset: int = 0) -> list[Any]:
        """Stored items (decoded), ordered by key."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(dataset_items.c.data)
                .where(dataset_items.c.dataset == dataset)
                .order_by(dataset_items.c.key)
                .limit(limit)
                .offset(offset)
            )
            return [msgspec.json.decode(row[0]) for row in result]

    async def run_items(
        self, dataset: str, run_id: str, *, limit: int = 100, offset: int = 0
    ) -> tuple[int, list[Any]]:
        """``(total, items)`` a run inserted or saw last, ordered by key.

        An item counts for the run that first stored it and for the run that last saw it;
        a later run that sees it again takes it over from earlier ones.
        """
        seen = sa.and_(
            dataset_items.c.dataset == dataset,
            sa.or_(dataset_items.c.first_run_id == run_id, dataset_items.c.last_run_id == run_id),
        )
        async with self.database.connect() as conn:
            total = await conn.scalar(
                sa.select(sa.func.count()).select_from(dataset_items).where(seen)
            )
            result = await conn.execute(
                sa.select(dataset_items.c.data)
                .where(seen)
                .order_by(dataset_items.c.key)
                .limit(limit)
                .offset(offset)
            )
            items = [msgspec.json.decode(row[0]) for row in result]
        return int(total or 0), items


class DatasetSink:
    """One dataset of a ``DatasetRepository``, shaped as the runner's ``ItemSink``."""

    def __init__(self, store: DatasetRepository, dataset: str) -> None:
        self.store = store
        self.dataset = dataset

    async def write(self, run_id: str, items: Sequence[tuple[str, Any]]) -> WriteOutcome:
        """Upsert distinct-key items (see ``DatasetStore.write``)."""
        return await self.store.write(self.dataset, run_id, items)

    async def count(self) -> int:
        """Items in the dataset."""
        return await self.store.count(self.dataset)
