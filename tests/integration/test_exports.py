"""Exports through the API (real server on a free port, SQLite file): JSONL and CSV of a
dataset or of one run's items, streamed as attachments; the dataset list; refusals.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crawlscope.access import Authenticator
from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from crawlscope.store import Store
from tests.integration.api_assertions import assert_api_error
from tests.integration.conftest import LiveServer

Json = dict[str, Any]

ITEMS: list[tuple[str, Any]] = [
    ("a1", {"title": "Plain", "price": 9.5, "tags": ["x", "y"], "stock": None}),
    ("a2", {"title": '=HYPERLINK("http://evil")', "price": -3, "meta": {"deep": [1, {"k": "v"}]}}),
    ("a3", {"title": '+1 line\nbreak, comma "quote"', "ok": True, "n": 2**53 + 1}),
    ("a4", {"title": "@SUM(A1)", "note": "-2+3", "ü «x»": "漢字 🕷"}),
    ("a5", [1, 2, 3]),
    ("a6", "\tjust text"),
]


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


@pytest.fixture
async def store(live_server: LiveServer) -> Store:
    store = live_server.services.store
    await store.datasets.write("shop", "run-1", ITEMS[:4])
    await store.datasets.write("shop", "run-2", ITEMS[2:])  # run-2 sees a3, a4 again
    await store.runs.create("run-1", "c", {}, dataset="shop")
    await store.runs.create("run-2", "c", {}, dataset="shop")
    await store.runs.create("no-dataset", "c", {})
    return store


def jsonl(text: str) -> list[Any]:
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


async def test_a_dataset_as_jsonl(store: Store, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/datasets/shop/export", params={"format": "jsonl"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"shop.jsonl\"; filename*=UTF-8''shop.jsonl"
    )
    assert response.headers["cache-control"] == "no-store"
    assert jsonl(response.text) == [data for _, data in ITEMS]  # ordered by key
    # The default format is JSONL.
    assert (await client.get("/api/datasets/shop/export")).text == response.text


async def test_a_dataset_as_csv(store: Store, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/datasets/shop/export", params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="shop.csv"' in response.headers["content-disposition"]
    # One record per line, CRLF; a line break inside a cell is quoted as it is.
    assert response.text.count("\r\n") == len(ITEMS) + 1
    assert '"\'+1 line\nbreak, comma ""quote"""' in response.text
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    # Every top-level field of every item, sorted; `value` for items that are not objects.
    header = ["meta", "n", "note", "ok", "price", "stock", "tags", "title", "ü «x»", "value"]
    assert rows[0] == header
    by_column = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert by_column[0] == {
        **dict.fromkeys(header, ""),
        "price": "9.5",
        "tags": '["x","y"]',  # nested values are JSON
        "title": "Plain",
    }
    # Text that a spreadsheet would run as a formula starts with a quote; numbers do not.
    assert by_column[1]["title"] == '\'=HYPERLINK("http://evil")'
    assert by_column[1]["price"] == "-3"
    assert by_column[1]["meta"] == '{"deep":[1,{"k":"v"}]}'
    assert by_column[2]["title"] == '\'+1 line\nbreak, comma "quote"'
    assert (by_column[2]["ok"], by_column[2]["n"]) == ("true", str(2**53 + 1))
    assert (by_column[3]["title"], by_column[3]["note"]) == ("'@SUM(A1)", "'-2+3")
    assert by_column[3]["ü «x»"] == "漢字 🕷"
    assert by_column[4] == {**dict.fromkeys(header, ""), "value": "[1,2,3]"}
    assert by_column[5]["value"] == "'\tjust text"


async def test_declared_csv_columns(store: Store, client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/datasets/shop/export", params={"format": "csv", "fields": "title, absent,price"}
    )
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows[0] == ["title", "absent", "price"]
    assert rows[1] == ["Plain", "", "9.5"]
    assert len(rows) == len(ITEMS) + 1
    for fields in ("", "a,,b", "a,a", ",".join(f"f{i}" for i in range(1001))):
        bad = await client.get(
            "/api/datasets/shop/export", params={"format": "csv", "fields": fields}
        )
        assert_api_error(bad, 422, "invalid", "fields")
    bad = await client.get("/api/datasets/shop/export", params={"fields": "title"})
    error = assert_api_error(bad, 422, "invalid", "fields")
    assert "csv" in error["message"]


async def test_one_runs_items(store: Store, client: httpx.AsyncClient) -> None:
    # run-1 first stored a1..a4, run-2 saw a3 and a4 again and stored a5, a6.
    for run_id, keys in (("run-1", ["a1", "a2", "a3", "a4"]), ("run-2", ["a3", "a4", "a5", "a6"])):
        response = await client.get(f"/api/runs/{run_id}/items/export")
        assert response.status_code == 200, response.text
        assert f'filename="shop-{run_id}.jsonl"' in response.headers["content-disposition"]
        exported = jsonl(response.text)
        assert exported == [data for key, data in ITEMS if key in keys]
        # The same items as the items panel lists.
        panel = (await client.get(f"/api/runs/{run_id}/items", params={"limit": 1000})).json()
        assert exported == panel["items"]
    response = await client.get("/api/runs/run-2/items/export", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    # The columns of this run's items only.
    assert rows[0] == ["n", "note", "ok", "title", "ü «x»", "value"]
    assert len(rows) == 5


async def test_many_windows_in_order(live_server: LiveServer, client: httpx.AsyncClient) -> None:
    items = [(f"k{i:05d}", {"i": i, "text": f"item {i}"}) for i in range(4500)]
    await live_server.services.store.datasets.write("big", "r", items)
    response = await client.get("/api/datasets/big/export")
    assert jsonl(response.text) == [d for _, d in items]
    response = await client.get("/api/datasets/big/export", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows == [["i", "text"]] + [[str(i), f"item {i}"] for i in range(4500)]


async def test_refusals_name_the_input(store: Store, client: httpx.AsyncClient) -> None:
    assert_api_error(await client.get("/api/datasets/nope/export"), 404, "not_found", "name")
    response = await client.get("/api/datasets/shop/export", params={"format": "xml"})
    assert_api_error(response, 422, "invalid", "format")
    response = await client.get("/api/runs/nope/items/export")
    assert_api_error(response, 404, "not_found", "run_id")
    response = await client.get("/api/runs/no-dataset/items/export")
    error = assert_api_error(response, 404, "not_found", "run_id")
    assert "no dataset" in error["message"]


async def test_too_many_columns_ask_for_fields(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    wide = {f"f{i:04d}": i for i in range(1001)}
    await live_server.services.store.datasets.write("wide", "r", [("1", wide)])
    response = await client.get("/api/datasets/wide/export", params={"format": "csv"})
    error = assert_api_error(response, 422, "invalid", "fields")
    assert "fields=" in error["message"]
    response = await client.get(
        "/api/datasets/wide/export", params={"format": "csv", "fields": "f0001,f1000"}
    )
    assert response.text == "f0001,f1000\r\n1,1000\r\n"


async def test_odd_dataset_names_give_safe_file_names(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    await live_server.services.store.datasets.write('Prix "été" 2026', "r", [("1", {"a": 1})])
    response = await client.get("/api/datasets/Prix%20%22%C3%A9t%C3%A9%22%202026/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        'attachment; filename="Prix_t_2026.jsonl"; '
        "filename*=UTF-8''Prix%20%22%C3%A9t%C3%A9%22%202026.jsonl"
    )


async def test_the_dataset_list(store: Store, client: httpx.AsyncClient) -> None:
    await store.datasets.write("another", "r", [("1", 1)])
    body = (await client.get("/api/datasets")).json()
    assert [(d["name"], d["items"]) for d in body["datasets"]] == [("another", 1), ("shop", 6)]
    assert all(d["updated_at"].endswith("Z") for d in body["datasets"])


async def test_viewers_may_export_ingest_tokens_may_not(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=str(tmp_path / "auth.db"), auth="on"))
    async with serve_in_loop(app) as url:
        services = app.state.services
        await services.store.datasets.write("shop", "r", ITEMS[:2])
        tokens = Authenticator(services.store.tokens)
        viewer, _ = await tokens.create_token("watcher", "viewer")
        ingest, _ = await tokens.create_token("runner", "ingest")
        async with httpx.AsyncClient(base_url=url) as client:
            path = "/api/datasets/shop/export"
            assert_api_error(await client.get(path), 401, "unauthorized")
            denied = await client.get(path, headers={"Authorization": f"Bearer {ingest}"})
            assert_api_error(denied, 403, "forbidden")
            allowed = await client.get(path, headers={"Authorization": f"Bearer {viewer}"})
            assert jsonl(allowed.text) == [d for _, d in ITEMS[:2]]
            # A browser's session cookie works too (the dashboard's download link).
            login = await client.post("/api/auth/login", json={"token": viewer})
            assert login.status_code == 200
            by_cookie = await client.get(path, params={"format": "csv"})
            assert by_cookie.status_code == 200
            assert by_cookie.text.startswith("meta,price,stock,tags,title\r\n")
