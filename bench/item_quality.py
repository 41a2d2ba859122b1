"""Live data quality: what validating every item costs a run, per schema kind.

A one-phase collection whose tasks each hand over ``--items`` seller-like items (some
fields missing, a few invalid), run by ``Run`` with a ``Monitor`` on a SQLite file, so the
items go through the real pipeline into the dataset and every event is stored. The same
run is measured without a schema and with the same schema as a msgspec Struct, a pydantic
model and a JSON Schema; rounds rotate the order so drift hits every side. Figures: items
per second (the clock stops when the run's events are stored) and this process's CPU per
item; the extra CPU per item over no schema is the cost of validation and counting.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from typing import Annotated, Any

import msgspec
import pydantic

from _common import fresh_db_path, median_of, report
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext


class Seller(msgspec.Struct):
    seller_id: int
    name: Annotated[str, msgspec.Meta(min_length=1)]
    country: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")] | None = None
    rating: Annotated[float, msgspec.Meta(ge=1, le=5)] | None = None


class SellerModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True)

    seller_id: int
    name: str = pydantic.Field(min_length=1)
    country: str | None = pydantic.Field(default=None, pattern="^[A-Z]{2}$")
    rating: float | None = pydantic.Field(default=None, ge=1, le=5)


SELLER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "seller_id": {"type": "integer"},
        "name": {"type": "string", "minLength": 1},
        "country": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$"},
        "rating": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
    },
    "required": ["seller_id", "name"],
}

SCHEMAS: dict[str, object] = {
    "none": None,
    "msgspec": Seller,
    "pydantic": SellerModel,
    "jsonschema": SELLER_SCHEMA,
}


def _item(i: int) -> dict[str, Any]:
    return {
        "seller_id": i,
        "name": f"Seller {i}",
        "country": None if i % 7 == 0 else "DE",
        "rating": "n/a" if i % 50 == 0 else (None if i % 4 == 0 else 4.5),
    }


async def one_run(schema: str, tasks: int, items: int, workers: int) -> tuple[float, float]:
    """``(items/s, CPU µs per item)`` of one run."""

    async def handler(ctx: TaskContext, task: Task) -> None:
        await asyncio.sleep(0)
        base = task.payload["i"] * items
        ctx.add_items(_item(base + n) for n in range(items))

    collection = Collection(
        "quality-bench", dataset=f"bench_{schema}", key="seller_id", item_schema=SCHEMAS[schema]
    )
    collection.seed(lambda params: [Task(f"t{i}", payload={"i": i}) for i in range(tasks)])
    collection.add_phase("work", handler, workers=workers)
    async with Monitor(fresh_db_path("quality")) as monitor:
        run = monitor.new_run(collection)
        gc.collect()
        c0 = time.process_time()
        t0 = time.perf_counter()
        assert await run.execute() == "completed"
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        frame = await monitor.frames.frame(run.run_id)
        assert frame is not None
        assert frame.totals.items_found == tasks * items
        if schema != "none":
            assert frame.quality is not None
            assert frame.quality.checked == tasks * items
    return tasks * items / elapsed, cpu / (tasks * items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--items", type=int, default=20, help="items per task")
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--schemas", default=",".join(SCHEMAS))
    args = parser.parse_args()
    sides = [s.strip() for s in args.schemas.split(",") if s.strip()]
    rates: dict[str, list[float]] = {s: [] for s in sides}
    cpus: dict[str, list[float]] = {s: [] for s in sides}
    for r in range(args.rounds):
        for side in sides[r % len(sides) :] + sides[: r % len(sides)]:
            rate, cpu = asyncio.run(one_run(side, args.tasks, args.items, args.workers))
            rates[side].append(rate)
            cpus[side].append(cpu)
    base_cpu = median_of(cpus["none"]) if "none" in cpus else None
    rows = [
        ("items per run (tasks x items) / workers", f"{args.tasks * args.items:,} / {args.workers}")
    ]
    for side in sides:
        cpu = median_of(cpus[side])
        extra = "" if base_cpu is None or side == "none" else f", +{cpu - base_cpu:.1f} µs"
        rows.append(
            (
                f"{side}: items/s, CPU per item",
                f"{median_of(rates[side]):,.0f}, {cpu:.1f} µs{extra}",
            )
        )
    report(
        "item_quality",
        rows,
        {"args": vars(args), "items_per_s": rates, "cpu_us_per_item": cpus},
    )


if __name__ == "__main__":
    main()
