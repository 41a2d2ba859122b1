"""``RemoteItemSink``: the runner's ``ItemSink`` when the dataset is on a server.

Each pipeline batch becomes one ``POST /api/ingest/items`` with a ``batch_id`` of its own,
sent until the server answers. The server's answer says which keys were inserted, updated
or unchanged, and the runner's pipeline reports exactly that (``inserted``/``updated``/
``deduped`` events), so the run's numbers are the server's. A retried batch keeps its id,
so the server answers it as the first time even when the first answer was lost; a batch
whose content changes (an item refused, a batch split because it was too large) gets a
new id.

While the server cannot be reached (or answers 5xx, 429, 401/403) the batch is retried
with the reporter's backoff: exponential with jitter, ``Retry-After`` when given. The
pipeline keeps later items meanwhile, and the run's workers slow down through the
reporter's backpressure, so nothing is dropped. Items the server refuses for good (422
naming the item, 409, 413 for one item alone) are reported back as ``rejected`` with the
reason, and the pipeline records them as ``error`` events of stage ``pipeline``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import httpx
import msgspec

from crawlscope.client.answers import describe, error_field, error_message, retry_after
from crawlscope.ingest.items import ItemBatchResult, item_index

if TYPE_CHECKING:
    from crawlscope.client.reporter import HttpReporter

__all__ = ["ITEMS_PATH", "ItemDeliveryStats", "RemoteItemSink", "SentItems"]

log = logging.getLogger("crawlscope.client")

ITEMS_PATH: Final = "/api/ingest/items"
_RETRYABLE: Final = frozenset({401, 403, 408, 425, 429, 500, 502, 503, 504})
_LOG_EVERY: Final = 10.0

_encode = msgspec.json.Encoder().encode
_decode_result = msgspec.json.Decoder(ItemBatchResult).decode


@dataclass
class SentItems:
    """The sink's ``WriteResult``: keys by what the server did with them, and the keys it
    refused with the reason."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


@dataclass
class ItemDeliveryStats:
    """What became of the items handed to the sink so far.

    ``items = inserted + updated + unchanged + rejected`` once every write returned;
    ``replayed`` counts batches the server had stored before (a retry after a lost answer).
    """

    items: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    batches: int = 0
    replayed: int = 0
    requests: int = 0
    failed_requests: int = 0


class RemoteItemSink:
    """An ``ItemSink`` that stores items in a server's dataset (``POST /api/ingest/items``).

    Made by ``HttpReporter.item_sink(dataset)``: it shares the reporter's connection,
    token and backoff, and waits for the run's events to be delivered before its first
    items (the server accepts items only for a run it knows). ``run_id`` names the run
    ``count`` asks about before any item was written.
    """

    def __init__(self, reporter: HttpReporter, dataset: str, *, run_id: str | None = None) -> None:
        self.dataset = dataset
        self.run_id = run_id
        self.stats = ItemDeliveryStats()
        self._reporter = reporter
        self._announced: set[str] = set()
        self._failing_since: float | None = None
        self._last_log = 0.0

    async def write(self, run_id: str, items: Sequence[tuple[str, Any]]) -> SentItems:
        """Store ``(key, item)`` pairs with distinct keys; returns once the server has."""
        self.run_id = run_id
        result = SentItems()
        if not items:
            return result
        await self._announce(run_id)
        self.stats.items += len(items)
        await self._send(run_id, self._encodable(list(items), result), result)
        return result

    async def count(self) -> int:
        """How many items the server's dataset holds (asked of the server)."""
        if self.run_id is None:
            raise RuntimeError("count() needs the run: write items first or give run_id")
        await self._announce(self.run_id)
        answer = await self._post({"run_id": self.run_id, "dataset": self.dataset, "count": True})
        if isinstance(answer, ItemBatchResult) and answer.dataset_size is not None:
            return answer.dataset_size
        raise RuntimeError(f"the server did not say how large dataset {self.dataset!r} is")

    # -- sending --------------------------------------------------------------------------

    async def _announce(self, run_id: str) -> None:
        """Wait until the run's events so far are delivered: the server accepts items only
        for a run whose row (made by its first events) exists."""
        if run_id not in self._announced:
            await self._reporter.drain()
            self._announced.add(run_id)

    async def _send(self, run_id: str, items: list[tuple[str, Any]], result: SentItems) -> None:
        """Send one batch until the server stores it or refuses its items for good."""
        while items:
            body = {
                "run_id": run_id,
                "dataset": self.dataset,
                "batch_id": uuid.uuid4().hex,
                "items": [{"key": key, "data": data} for key, data in items],
            }
            answer = await self._post(body)
            if isinstance(answer, ItemBatchResult):
                self._stored(answer, result)
                return
            status, field_name, problem = answer
            if status == 413 and len(items) > 1:
                half = len(items) // 2
                log.warning("batch of %d items too large; splitting it", len(items))
                await self._send(run_id, items[:half], result)
                await self._send(run_id, items[half:], result)
                return
            index = item_index(field_name)
            if status in (413, 422) and (index is not None or len(items) == 1):
                index = index or 0
                if index < len(items):
                    self._reject(result, [items[index][0]], problem)
                    items = items[:index] + items[index + 1 :]
                    continue
            self._reject(result, [key for key, _ in items], problem)
            return

    async def _post(self, body: dict[str, Any]) -> ItemBatchResult | tuple[int, str | None, str]:
        """POST until answered for good: the decoded answer, or ``(status, field, problem)``
        of a refusal that a retry would not change."""
        delay = self._reporter.backoff_base
        content = _encode(body)
        client = self._reporter.http
        server = self._reporter.server
        while True:
            self.stats.requests += 1
            hint: float | None = None
            try:
                response = await client.post(ITEMS_PATH, content=content)
            except httpx.TransportError as exc:
                problem = f"cannot reach {server}: {describe(exc)}"
            else:
                status = response.status_code
                if status == 200:
                    self._recovered()
                    try:
                        return _decode_result(response.content)
                    except msgspec.DecodeError:
                        return (status, None, f"unexpected answer: {response.content[:200]!r}")
                problem = f"{status} from {server}: {error_message(response)}"
                if status not in _RETRYABLE:
                    return (status, error_field(response), problem)
                hint = retry_after(response)
            self.stats.failed_requests += 1
            self._problem(problem)
            wait = hint if hint is not None else delay * random.uniform(0.5, 1.0)
            await asyncio.sleep(min(wait, self._reporter.backoff_max))
            delay = min(delay * 2, self._reporter.backoff_max)

    def _encodable(self, items: list[tuple[str, Any]], result: SentItems) -> list[tuple[str, Any]]:
        """The items that can be sent as JSON (collector code may put anything in one)."""
        try:
            _encode([data for _, data in items])
        except (TypeError, ValueError, OverflowError):
            pass
        else:
            return items
        good = []
        for key, data in items:
            try:
                _encode(data)
            except (TypeError, ValueError, OverflowError) as exc:
                self._reject(result, [key], f"cannot be encoded as JSON: {exc}")
            else:
                good.append((key, data))
        return good

    def _stored(self, answer: ItemBatchResult, result: SentItems) -> None:
        stats = self.stats
        stats.batches += 1
        stats.replayed += answer.replayed
        stats.inserted += len(answer.inserted)
        stats.updated += len(answer.updated)
        stats.unchanged += len(answer.unchanged)
        result.inserted.extend(answer.inserted)
        result.updated.extend(answer.updated)
        result.unchanged.extend(answer.unchanged)

    def _reject(self, result: SentItems, keys: list[str], problem: str) -> None:
        log.error("server refused %d item(s) of dataset %s: %s", len(keys), self.dataset, problem)
        self.stats.rejected += len(keys)
        for key in keys:
            result.rejected[key] = problem

    def _problem(self, problem: str) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._last_log >= _LOG_EVERY:
            self._last_log = now
            log.warning("item delivery failing (%s); retrying, items are kept", problem)

    def _recovered(self) -> None:
        if self._failing_since is not None:
            log.warning(
                "delivering items to %s again after %.1fs of failures",
                self._reporter.server,
                time.monotonic() - self._failing_since,
            )
            self._failing_since = None
