"""POST /api/ingest/items against a real server (uvicorn on a free port, SQLite file).

Batches of a remote run reach the run's dataset and its items panel; a batch sent again
(its answer lost) is answered as the first time and written once; every kind of bad input
gets its 4xx naming the field and stores nothing; the runner's sink (``RemoteItemSink``)
reports refused items and splits batches that are too large.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from crawlscope.access import Authenticator
from crawlscope.api import create_app
from crawlscope.client import HttpReporter
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from crawlscope.runner import Collection, OutcomeRules, Run, Task, TaskContext
from crawlscope.serving import serve_in_loop
from tests.integration.api_assertions import assert_api_error
from tests.integration.conftest import LiveServer

MAX_ITEMS = 20
MAX_BYTES = 16 * 1024
Json = dict[str, Any]


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=str(tmp_path / "server.db"),
        ingest_max_items=MAX_ITEMS,
        ingest_max_bytes=MAX_BYTES,
    )


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


async def start_run(client: httpx.AsyncClient, run_id: str, dataset: str | None = "shop") -> None:
    """The run's first event, as a remote runner sends it before any item."""
    started = ActivityEvent(
        run_id=run_id,
        action=Action.RUN_STARTED,
        extra={"collection": "remote", "dataset": dataset},
        params={},
    )
    response = await client.post("/api/ingest", content=msgspec.json.encode({"events": [started]}))
    assert response.status_code == 200, response.text


def batch(run_id: str, items: list[tuple[str, Any]], **fields: Any) -> Json:
    body = {
        "run_id": run_id,
        "dataset": "shop",
        "batch_id": uuid.uuid4().hex,
        "items": [{"key": k, "data": d} for k, d in items],
    }
    body.update(fields)
    return body


async def post(client: httpx.AsyncClient, payload: Any) -> httpx.Response:
    content = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
    return await client.post("/api/ingest/items", content=content)


# -- accepted batches -----------------------------------------------------------------------


async def test_items_reach_the_dataset_and_a_retried_batch_counts_once(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    await start_run(client, "r1")
    first = batch("r1", [("1", {"n": "a"}), ("2", {"n": "b"})])
    response = await post(client, first)
    assert response.status_code == 200, response.text
    assert response.json() == {"dataset": "shop", "inserted": ["1", "2"]}
    # Stored before the answer was sent.
    store = live_server.services.store
    assert await store.datasets.items("shop") == [{"n": "a"}, {"n": "b"}]

    # The answer was lost: the same batch again gets the same answer, nothing is written.
    again = await post(client, first)
    assert again.json() == {"dataset": "shop", "inserted": ["1", "2"], "replayed": True}
    # A new batch: a change, a repeat and a new key, and the dataset's size on request.
    response = await post(
        client, batch("r1", [("1", {"n": "A"}), ("2", {"n": "b"}), ("3", {})], count=True)
    )
    assert response.json() == {
        "dataset": "shop",
        "inserted": ["3"],
        "updated": ["1"],
        "unchanged": ["2"],
        "dataset_size": 3,
    }
    assert await store.datasets.count("shop") == 3
    # Only the size: no batch id needed.
    response = await post(client, {"run_id": "r1", "dataset": "shop", "count": True})
    assert response.json() == {"dataset": "shop", "dataset_size": 3}

    # The remote run's items panel shows them.
    panel = (await client.get("/api/runs/r1/items")).json()
    assert (panel["dataset"], panel["total"]) == ("shop", 3)
    assert panel["items"] == [{"n": "A"}, {"n": "b"}, {}]


# -- refused ----------------------------------------------------------------------------------


def _bad_bodies() -> list[tuple[str, Any, int, str, str | None]]:
    ok = {"run_id": "bad-run", "dataset": "shop", "batch_id": "b"}
    item = {"key": "k", "data": {}}
    deep: Any = 1
    for _ in range(70):
        deep = [deep]
    return [
        ("not json", b"{nope", 422, "invalid", "body"),
        ("no run_id", {"dataset": "shop"}, 422, "invalid", "run_id"),
        ("unknown field", {**ok, "items": [], "extra": 1}, 422, "invalid", "extra"),
        ("long run id", {**ok, "run_id": "r" * 65}, 422, "invalid", "run_id"),
        ("long dataset", {**ok, "dataset": "d" * 201}, 422, "invalid", "dataset"),
        ("no batch id", {**ok, "batch_id": None, "items": [item]}, 422, "invalid", "batch_id"),
        ("key missing", {**ok, "items": [{"data": 1}]}, 422, "invalid", "items[0].key"),
        (
            "key empty",
            {**ok, "items": [item, {"key": "", "data": 1}]},
            422,
            "invalid",
            "items[1].key",
        ),
        (
            "key too long",
            {**ok, "items": [{"key": "k" * 513, "data": 1}]},
            422,
            "invalid",
            "items[0].key",
        ),
        (
            "key with NUL",
            {**ok, "items": [{"key": "a\x00", "data": 1}]},
            422,
            "invalid",
            "items[0].key",
        ),
        (
            "key twice",
            {**ok, "items": [item, {"key": "x", "data": 1}, item]},
            422,
            "invalid",
            "items[2].key",
        ),
        (
            "too deep",
            {**ok, "items": [{"key": "k", "data": deep}]},
            422,
            "invalid",
            "items[0].data",
        ),
        (
            "NUL field name",
            {**ok, "items": [{"key": "k", "data": {"a\x00": 1}}]},
            422,
            "invalid",
            "items[0].data",
        ),
        ("dataset with NUL", {**ok, "dataset": "s\x00"}, 422, "invalid", "dataset"),
        (
            "too many items",
            {**ok, "items": [{"key": str(i), "data": i} for i in range(MAX_ITEMS + 1)]},
            413,
            "payload_too_large",
            "items",
        ),
        (
            "too large",
            {**ok, "items": [{"key": "k", "data": "x" * MAX_BYTES}]},
            413,
            "payload_too_large",
            None,
        ),
        ("unknown run", {**ok, "run_id": "nobody", "items": [item]}, 409, "conflict", "run_id"),
    ]


BAD_BODIES = _bad_bodies()


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
async def test_bad_input_gets_its_4xx_and_stores_nothing(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    body: Any,
    status: int,
    code: str,
    field: str | None,
) -> None:
    await start_run(client, "bad-run")
    assert_api_error(await post(client, body), status, code, field)
    assert await live_server.services.store.datasets.datasets() == []


async def test_runs_that_are_not_remote_or_write_elsewhere_are_refused(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    store = live_server.services.store
    await store.runs.create("local-1", "demo", {}, dataset="shop")
    response = await post(client, batch("local-1", [("k", 1)]))
    error = assert_api_error(response, 409, "conflict", "run_id")
    assert "local run" in error["message"]
    await start_run(client, "r2", dataset="products")
    response = await post(client, batch("r2", [("k", 1)]))
    error = assert_api_error(response, 409, "conflict", "dataset")
    assert "'products'" in error["message"]
    # The same batch id with other items is not a retry.
    response = await post(client, body := batch("r2", [("k", 1)], dataset="products"))
    assert response.status_code == 200
    body["items"][0]["data"] = 2
    assert_api_error(await post(client, body), 409, "conflict", "batch_id")
    assert await store.datasets.items("products") == [1]
    assert await store.datasets.count("shop") == 0


async def test_the_body_is_documented_in_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/ingest/items"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"run_id", "dataset", "batch_id", "items", "count"}
    assert body["properties"]["items"]["maxItems"] == 5000  # the default setting
    assert {"200", "409", "413", "422", "503"} <= set(operation["responses"])


# -- the runner's sink --------------------------------------------------------------------------


async def test_the_sink_reports_refused_items_and_splits_large_batches(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    await start_run(client, "r3")
    async with HttpReporter(live_server.url, backoff_base=0.01) as reporter:
        sink = reporter.item_sink("shop", run_id="r3")
        items: list[tuple[str, Any]] = [(f"k{i:02d}", {"text": "x" * 2000}) for i in range(30)]
        items.insert(5, ("k" * 600, {"too": "long a key"}))
        items.insert(9, ("nan", {"v": float("nan")}))  # JSON has no NaN: msgspec writes null
        items.insert(12, ("object", {"v": object()}))  # not JSON at all
        result = await sink.write("r3", items)
        assert sorted(result.rejected) == ["k" * 600, "object"]
        assert "items[" in result.rejected["k" * 600]  # the server named the item
        assert "JSON" in result.rejected["object"]
        assert sorted(result.inserted) == sorted([f"k{i:02d}" for i in range(30)] + ["nan"])
        assert (result.updated, result.unchanged) == ([], [])
        stats = sink.stats
        assert (stats.items, stats.inserted, stats.rejected) == (33, 31, 2)
        assert stats.batches >= 4  # 30 items of 2 kB do not fit in 16 kB: split
        assert await sink.count() == 31
    assert await live_server.services.store.datasets.count("shop") == 31


async def test_the_sink_needs_an_ingest_token(tmp_path: Path) -> None:
    settings = Settings(database_url=str(tmp_path / "auth.db"), auth="on")
    app = create_app(settings)
    async with serve_in_loop(app) as url:
        tokens = Authenticator(app.state.services.store.tokens)
        ingest_token, _ = await tokens.create_token("runner", "ingest")
        viewer_token, _ = await tokens.create_token("watcher", "viewer")
        headers = {"Authorization": f"Bearer {viewer_token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as viewer:
            response = await post(viewer, batch("r", [("k", 1)]))
            assert_api_error(response, 403, "forbidden")
        async with HttpReporter(url, ingest_token, max_delay=0.01) as reporter:
            started = ActivityEvent(
                run_id="r", action=Action.RUN_STARTED, extra={"dataset": "shop"}
            )
            await reporter.open_run("r", "remote", {}, "shop")
            reporter.emit(started)
            sink = reporter.item_sink("shop")
            result = await sink.write("r", [("k", {"v": 1})])  # waits for run_started first
            assert result.inserted == ["k"]
        assert await app.state.services.store.datasets.items("shop") == [{"v": 1}]


async def test_a_remote_run_reports_refused_items_as_pipeline_errors(
    live_server: LiveServer, scripted_site: Any
) -> None:
    """A whole run: events and items through the reporter, one item refused by the server."""
    collection = Collection("refusing", dataset="shop", key="id")

    @collection.seed
    def _seed(params: dict[str, Any]) -> list[Task]:
        return [Task(f"t{i}", payload={"i": i}) for i in range(12)]

    @collection.phase("fetch", workers=3)
    async def _fetch(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{scripted_site.url}/p/{task.payload['i']}")
        i = task.payload["i"]
        ctx.add_item({"id": "x" * 600 if i == 7 else f"item-{i:02d}", "i": i})

    async with HttpReporter(live_server.url, max_delay=0.01) as reporter:
        sink = reporter.item_sink("shop", run_id="refusing-1")
        run = Run(
            collection, reporter, sink=sink, control_source=reporter.control, run_id="refusing-1"
        )
        assert await run.execute() == "completed"
        await reporter.flush()
    assert (sink.stats.inserted, sink.stats.rejected) == (11, 1)
    store = live_server.services.store
    assert await store.datasets.keys("shop") == [f"item-{i:02d}" for i in range(12) if i != 7]
    events = await store.events.read_all("refusing-1")
    refused = [e for e in events if e.operation_type == "item_reject"]
    assert len(refused) == 1
    assert (refused[0].action, refused[0].error_stage, refused[0].items_count) == (
        "error",
        "pipeline",
        1,
    )
    assert "items[" in (refused[0].error_message or "")
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        detail = (await client.get("/api/runs/refusing-1")).json()
    assert detail["totals"]["new_items"] == 11
    assert detail["totals"]["errors_by_stage"] == {"pipeline": 1}
    assert detail["dataset_size"] == 11


async def test_a_remote_run_without_items_still_learns_the_dataset_size(
    live_server: LiveServer,
) -> None:
    """A run that ends at once asks for the size before its first events may have gone
    out: the sink delivers them first, so the server knows the run."""
    # A run with no task fails by default (OutcomeRules): this one is meant to be empty.
    collection = Collection(
        "empty", dataset="shop", key="id", outcome=OutcomeRules(fail_without_tasks=False)
    )
    collection.seed(lambda params: [])

    async def nothing(ctx: TaskContext, task: Task) -> None:
        return None

    collection.add_phase("only", nothing, workers=1)
    async with HttpReporter(live_server.url, max_delay=5.0) as reporter:
        sink = reporter.item_sink("shop", run_id="empty-1")
        run = Run(collection, reporter, sink=sink, run_id="empty-1")
        assert await run.execute() == "completed"
    assert sink.stats.requests == 1  # the size
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        detail = (await client.get("/api/runs/empty-1")).json()
    assert (detail["status"], detail["dataset"], detail["dataset_size"]) == ("completed", "shop", 0)
