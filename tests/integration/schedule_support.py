"""What the schedule tests share: a quick collection, a registry with it, HTTP helpers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec

from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, Task, TaskContext

Json = dict[str, Any]
PATIENCE = 30.0


class QuickParams(msgspec.Struct, forbid_unknown_fields=True):
    items: int = 2
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.items < 1:
            raise ValueError("items must be at least 1")


async def _task(ctx: TaskContext, task: Task) -> None:
    if ctx.params["delay"]:
        await asyncio.sleep(ctx.params["delay"])
    ctx.add_item({"id": f"{ctx.run_id}-{task.payload['i']}"})


def quick_collection() -> Collection:
    """No HTTP: a few tasks that each add an item (after ``delay`` seconds)."""
    collection = Collection("quick", dataset="quick_items", key="id", params=QuickParams)
    collection.seed(
        lambda params: [Task(f"task {i}", payload={"i": i}) for i in range(params["items"])]
    )
    collection.add_phase("work", _task, workers=1)
    return collection


def quick_registry() -> CollectionRegistry:
    registry = CollectionRegistry()
    registry.register(quick_collection(), description="a few items, no HTTP")
    return registry


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not await check():
        assert time.monotonic() < deadline, f"not within {PATIENCE}s: {what}"
        await asyncio.sleep(0.1)


async def get_json(client: httpx.AsyncClient, path: str) -> Json:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def create(client: httpx.AsyncClient, **body: Any) -> Json:
    response = await client.post("/api/schedules", json=body)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created
