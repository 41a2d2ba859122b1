"""Live data quality against the real demo site: the run's frame says exactly what its
stored items say.

The demo's sellers have incomplete profiles (no country, no rating, a few rated "n/a").
Every offer of the catalog is one item handed over (a seller appears once per offer), and
the dataset keeps one item per seller, so the expected counts are the stored items, each
weighted by its seller's number of offers in the site's catalog, with presence and
validity judged here, independently of the runner's validators. The same schema given as
a msgspec Struct, a pydantic model and a JSON Schema must give the same card; a remote
run (events and items over HTTP) must give it too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pydantic
import pytest

from crawlscope.aggregate import RunAggregate
from crawlscope.client import HttpReporter
from crawlscope.demo import FaultConfig, build_catalog, create_site, demo_collection, serve_site
from crawlscope.demo.catalog import NO_RATING, Catalog
from crawlscope.demo.collection import DemoSeller
from crawlscope.demo.target_site import RunningSite
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Run
from tests.integration.conftest import LiveServer

FIELDS = ["seller_id", "name", "country", "rating"]

FAULTS = FaultConfig(
    rate_limit_rate=0.05,
    retry_after_s=0,
    server_error_rate=0.06,
    broken_rate=0.08,
    latency_s=(0.0, 0.003),
    seed=5,
)


class SellerModel(pydantic.BaseModel):
    """DemoSeller as a pydantic model (strict: "4" is not a rating, as in msgspec)."""

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


@pytest.fixture
async def faulty_site() -> AsyncIterator[RunningSite]:
    async with serve_site(create_site(build_catalog(seed=7, scale="tiny"), FAULTS)) as site:
        yield site


@pytest.fixture
async def clean_site() -> AsyncIterator[RunningSite]:
    async with serve_site(
        create_site(build_catalog(seed=7, scale="tiny"), FaultConfig.off())
    ) as site:
        yield site


def _problems(item: dict[str, Any]) -> set[str]:
    """The fields of a stored item that break the demo's rules (judged here, by hand)."""
    bad = set()
    if not isinstance(item.get("seller_id"), int):
        bad.add("seller_id")
    if not isinstance(item.get("name"), str) or not item["name"]:
        bad.add("name")
    country = item.get("country")
    if country is not None and not (isinstance(country, str) and re.fullmatch("[A-Z]{2}", country)):
        bad.add("country")
    rating = item.get("rating")
    if rating is not None and not (
        isinstance(rating, int | float) and not isinstance(rating, bool) and 1 <= rating <= 5
    ):
        bad.add("rating")
    return bad


def _expected(items: list[dict[str, Any]], catalog: Catalog) -> dict[str, Any]:
    """The quality card the stored items imply: each weighted by its seller's offers."""
    offers = Counter(o.seller_id for p in catalog.products.values() for o in p.offers)
    present = dict.fromkeys(FIELDS, 0)
    errors = dict.fromkeys(FIELDS, 0)
    invalid = 0
    for item in items:
        weight = offers[item["seller_id"]]
        for field in FIELDS:
            if item.get(field) is not None and item.get(field) != "":
                present[field] += weight
        bad = _problems(item)
        invalid += weight if bad else 0
        for field in bad:
            errors[field] += weight
    checked = sum(offers.values())
    return {
        "checked": checked,
        "invalid": invalid,
        "fields": [
            {
                "field": f,
                "present": present[f],
                "coverage": round(present[f] / checked, 4),
                "errors": errors[f],
            }
            for f in FIELDS
        ],
        "other_errors": 0,
    }


def _card(quality: Any) -> dict[str, Any]:
    card: dict[str, Any] = msgspec.to_builtins(quality)
    card.pop("schema")
    return card


@pytest.mark.parametrize(
    ("schema", "kind"),
    [(DemoSeller, "msgspec"), (SellerModel, "pydantic"), (SELLER_SCHEMA, "jsonschema")],
)
async def test_the_frame_says_what_the_stored_items_say(
    monitor: Monitor, faulty_site: RunningSite, schema: object, kind: str
) -> None:
    collection = dataclasses.replace(
        demo_collection(workers=4, dataset="sellers", timeout=2.0), item_schema=schema
    )
    run = monitor.new_run(collection, {"base_url": faulty_site.url}, seed=1)
    assert await asyncio.wait_for(run.execute(), 60) == "completed"
    assert faulty_site.app.faults_served.get("broken", 0) > 0  # broken pages were retried

    items = await monitor.store.datasets.items("sellers", limit=10_000)
    catalog = faulty_site.app.catalog
    assert len(items) == len(catalog.ground_truth_seller_ids())
    expected = _expected(items, catalog)
    # The demo's data really is incomplete and partly invalid: the card has something to say.
    by_field = {f["field"]: f for f in expected["fields"]}
    assert by_field["seller_id"]["coverage"] == by_field["name"]["coverage"] == 1.0
    assert 0 < by_field["country"]["coverage"] < 1
    assert 0 < by_field["rating"]["coverage"] < 1
    assert by_field["rating"]["errors"] > 0
    assert any(item.get("rating") == NO_RATING for item in items)  # invalid, stored anyway

    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.frame is not None
    quality = record.frame.quality
    assert quality is not None
    assert quality.schema == kind
    assert _card(quality) == expected
    assert quality.checked == record.totals.items_found

    # The card is derived from events only: rebuilt from the stored ones, it is the same.
    rebuilt = RunAggregate(run.run_id)
    for event in await monitor.store.events.read_all(run.run_id):
        rebuilt.apply(event)
    assert rebuilt.frame().quality == quality


async def test_a_remote_run_reports_the_same_quality(
    live_server: LiveServer, clean_site: RunningSite
) -> None:
    collection: Collection = demo_collection(workers=3, dataset="sellers", timeout=10.0)
    async with HttpReporter(live_server.url, max_delay=0.01) as reporter:
        sink = reporter.item_sink("sellers", run_id="remote-quality")
        run = Run(
            collection,
            reporter,
            params={"base_url": clean_site.url},
            sink=sink,
            run_id="remote-quality",
        )
        assert await run.execute() == "completed"
        await reporter.flush()
    store = live_server.services.store
    items = await store.datasets.items("sellers", limit=10_000)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        detail = (await client.get("/api/runs/remote-quality")).json()
    assert detail["quality"]["schema"] == "msgspec"
    assert _card(detail["quality"]) == _expected(items, clean_site.app.catalog)
