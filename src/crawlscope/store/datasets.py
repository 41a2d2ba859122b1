"""Dataset tables: collected items, deduplicated by key, inserted or updated in batches.

Reads for exports (``rows_after``, ``field_names``) page by key (keyset), never by offset,
so reading the millionth window costs what reading the first did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import msgspec
import sqlalchemy as sa

from crawlscope.store.database import Database, StoreError
from crawlscope.store.dataset_writes import (
    BatchMismatch,
    BatchOutcome,
    WriteOutcome,
    batch_digest,
    content_hash,
    record_batch,
    stored_batch,
    upsert,
)
from crawlscope.store.schema import dataset_items, item_batches

if TYPE_CHECKING:
    from crawlscope.store.repositories import DatasetRepository

__all__ = [
    "MAX_FIELDS",
    "BatchMismatch",
    "BatchOutcome",
    "DatasetInfo",
    "DatasetSink",
    "DatasetStore",
    "FieldNames",
    "TooManyFields",
    "WriteOutcome",
    "content_hash",
]

MAX_FIELDS: Final = 1000
"""Distinct top-level field names ``field_names`` reports at most (CSV columns)."""


class TooManyFields(Exception):
    """The items have more distinct top-level fields than ``MAX_FIELDS``."""


class FieldNames(msgspec.Struct):
    """Top-level field names of a selection of items, sorted; ``non_objects`` when some
    items are not JSON objects (a list, a number...)."""

    names: list[str]
    non_objects: bool


class DatasetInfo(msgspec.Struct, kw_only=True):
    """One dataset: its name, how many items it holds and when one last changed."""

    name: str
    items: int
    updated_at: datetime


def _selection(dataset: str, run_id: str | None) -> sa.ColumnElement[bool]:
    """The items of a dataset, or those a run first stored or last saw."""
    where = dataset_items.c.dataset == dataset
    if run_id is None:
        return where
    return sa.and_(
        where,
        sa.or_(dataset_items.c.first_run_id == run_id, dataset_items.c.last_run_id == run_id),
    )


class DatasetStore:
    """Reads and writes ``dataset_items`` (and ``item_batches``)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def write(
        self, dataset: str, run_id: str, items: Sequence[tuple[str, Any]]
    ) -> WriteOutcome:
        """Upsert ``(key, data)`` pairs with distinct keys in one transaction.

        New keys are inserted, keys whose content changed are updated, the rest are left
        untouched (only ``last_run_id`` moves) and reported as unchanged.
        """
        if not items:
            return WriteOutcome([], [], [])
        hashes = {key: content_hash(data) for key, data in items}
        async with self.database.begin() as conn:
            return await upsert(conn, dataset, run_id, items, hashes)

    async def write_batch(
        self, dataset: str, run_id: str, batch_id: str, items: Sequence[tuple[str, Any]]
    ) -> BatchOutcome:
        """``write`` a batch a runner may send more than once, answering alike each time.

        The batch's outcome is stored with its items in one transaction, under
        ``(run_id, batch_id)``. The same batch again is not written: its stored outcome is
        returned with ``replayed=True``. ``BatchMismatch`` when the id was stored with
        another dataset or other items (keys and contents).
        """
        hashes = {key: content_hash(data) for key, data in items}
        digest = batch_digest(dataset, hashes)
        for _attempt in range(3):
            async with self.database.connect() as conn:
                stored = await stored_batch(conn, run_id, batch_id, dataset, digest)
            if stored is not None:
                return stored
            try:
                async with self.database.begin() as conn:
                    outcome = await upsert(conn, dataset, run_id, items, hashes)
                    await record_batch(conn, run_id, batch_id, dataset, digest, outcome)
            except sa.exc.IntegrityError:
                # Another writer stored the same batch (or one of its keys) meanwhile; this
                # transaction was rolled back, so look again.
                continue
            return BatchOutcome(outcome.inserted, outcome.updated, outcome.unchanged)
        raise StoreError(f"batch {batch_id!r} of run {run_id!r} kept conflicting; retry later")

    async def forget_batches(self, before: datetime) -> int:
        """Delete the outcomes of batches stored before ``before``; how many."""
        async with self.database.begin() as conn:
            result = await conn.execute(
                item_batches.delete().where(item_batches.c.created_at < before)
            )
        return int(result.rowcount or 0)

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
        seen = _selection(dataset, run_id)
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

    async def rows_after(
        self, dataset: str, after: str | None, *, limit: int = 1000, run_id: str | None = None
    ) -> list[tuple[str, str]]:
        """The next ``limit`` items after key ``after`` (None: from the start), by key.

        Rows are ``(key, json)``: the item's JSON text as stored (keys sorted, compact, one
        line), so an export writes it without decoding. With ``run_id``, only the items
        ``run_items`` counts for that run.
        """
        where = _selection(dataset, run_id)
        if after is not None:
            where = sa.and_(where, dataset_items.c.key > after)
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(dataset_items.c.key, dataset_items.c.data)
                .where(where)
                .order_by(dataset_items.c.key)
                .limit(limit)
            )
            return [(row[0], row[1]) for row in result]

    async def field_names(self, dataset: str, *, run_id: str | None = None) -> FieldNames:
        """Every top-level field name of the items (of a run), sorted, read by the database
        in one pass. ``TooManyFields`` beyond ``MAX_FIELDS`` names."""
        where = _selection(dataset, run_id)
        names_query: sa.Executable
        if self.database.is_sqlite:
            each = sa.func.json_each(dataset_items.c.data).table_valued("key")
            kind = sa.func.json_type(dataset_items.c.data)
            names_query = (
                sa.select(each.c.key)
                .select_from(dataset_items)
                .join(each, sa.true())
                .where(where, kind == "object")
                .distinct()
                .limit(MAX_FIELDS + 1)
            )
        else:
            kind = sa.func.json_typeof(sa.cast(dataset_items.c.data, sa.JSON))
            # The WHERE may be applied after the function runs: give it an object each time.
            run_filter = (
                " AND (d.first_run_id = :run_id OR d.last_run_id = :run_id)" if run_id else ""
            )
            text = sa.text(
                "SELECT DISTINCT k.name FROM dataset_items AS d, json_object_keys(CASE WHEN "
                "json_typeof(d.data::json) = 'object' THEN d.data::json ELSE '{}'::json END) "
                f"AS k(name) WHERE d.dataset = :dataset{run_filter} LIMIT :limit"
            ).bindparams(dataset=dataset, limit=MAX_FIELDS + 1)
            names_query = text.bindparams(run_id=run_id) if run_id else text
        async with self.database.connect() as conn:
            names = [row[0] for row in await conn.execute(names_query)]
            other = await conn.scalar(
                sa.select(sa.literal(1)).where(where, kind != "object").limit(1)
            )
        if len(names) > MAX_FIELDS:
            raise TooManyFields(f"the items have more than {MAX_FIELDS} distinct top-level fields")
        return FieldNames(sorted(names), non_objects=other is not None)

    async def datasets(self) -> list[DatasetInfo]:
        """Every dataset with its item count and latest change, by name."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(
                    dataset_items.c.dataset,
                    sa.func.count(),
                    sa.func.max(dataset_items.c.updated_at),
                )
                .group_by(dataset_items.c.dataset)
                .order_by(dataset_items.c.dataset)
            )
            return [
                DatasetInfo(name=name, items=int(count), updated_at=latest)
                for name, count, latest in result
            ]


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
