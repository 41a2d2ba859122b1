"""``crawlscope export`` as a real subprocess: from a local database and from a server.

The files written are compared with what the API streams for the same export, byte for
byte; bad input gets an error naming the option or argument, and leaves no file behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from crawlscope.access import Authenticator
from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from crawlscope.store import SqlStore

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "crawlscope.cli"]
ITEMS: list[tuple[str, Any]] = [
    (f"k{i:04d}", {"id": i, "title": f"=item {i}" if i % 7 == 0 else f"item {i}", "tags": [i]})
    for i in range(2500)
]


@dataclass
class Done:
    code: int
    stdout: bytes
    stderr: str


async def cli(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> Done:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    base["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "src")])
    base["COLUMNS"] = "200"
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "export",
        *args,
        cwd=cwd,
        env={**base, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return Done(proc.returncode, out, " ".join(err.decode().split()))


async def fill(store: SqlStore) -> None:
    await store.datasets.write("shop", "run-1", ITEMS[:2000])
    await store.datasets.write("shop", "run-2", ITEMS[1500:])
    await store.runs.create("run-1", "c", {}, dataset="shop")
    await store.runs.create("run-2", "c", {}, dataset="shop")


@pytest.fixture
async def local_db(tmp_path: Path) -> str:
    url = str(tmp_path / "local.db")
    store = SqlStore(url)
    await store.open()
    try:
        await fill(store)
    finally:
        await store.close()
    return url


@dataclass
class Served:
    url: str
    viewer: str
    ingest: str
    client: httpx.AsyncClient


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    app = create_app(Settings(database_url=str(tmp_path / "server.db"), auth="on"))
    async with serve_in_loop(app) as url:
        store = app.state.services.store
        await fill(store)
        tokens = Authenticator(store.tokens)
        viewer, _ = await tokens.create_token("viewer", "viewer")
        ingest, _ = await tokens.create_token("ingest", "ingest")
        headers = {"Authorization": f"Bearer {viewer}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            yield Served(url, viewer, ingest, client)


# -- from a local database -------------------------------------------------------------------


async def test_local_exports_in_both_formats(local_db: str, tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    done = await cli("shop", "-o", str(out), "--db", local_db)
    assert done.code == 0, done.stderr
    assert "2,500 items" in done.stderr
    lines = out.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [data for _, data in ITEMS]
    assert not (tmp_path / "items.jsonl.part").exists()

    done = await cli("shop", "-o", str(tmp_path / "items.csv"), "--db", local_db)
    assert done.code == 0, done.stderr
    text = (tmp_path / "items.csv").read_bytes().decode()
    assert text.startswith("id,tags,title\r\n0,[0],'=item 0\r\n1,[1],item 1\r\n")
    assert text.count("\r\n") == len(ITEMS) + 1

    # One run's items; standard output; declared columns.
    done = await cli("--run", "run-2", "-o", "-", "--db", local_db)
    assert done.code == 0, done.stderr
    assert [json.loads(x) for x in done.stdout.splitlines()] == [d for _, d in ITEMS[1500:]]
    done = await cli(
        "shop",
        "--run",
        "run-1",
        "-o",
        "-",
        "--format",
        "csv",
        "--fields",
        "title,id",
        "--db",
        local_db,
    )
    assert done.code == 0, done.stderr
    assert done.stdout.decode().splitlines()[:3] == ["title,id", "'=item 0,0", "item 1,1"]
    assert len(done.stdout.splitlines()) == 2001


@pytest.mark.parametrize(
    ("args", "named", "code"),
    [
        (["shop"], "-o FILE", 2),
        (["-o", "x.jsonl"], "DATASET", 2),
        (["shop", "-o", "x.txt"], "--format", 2),
        (["shop", "-o", "x.jsonl", "--format", "xml"], "--format", 2),
        (["shop", "-o", "x.jsonl", "--fields", "a"], "--fields", 2),
        (["shop", "-o", "x.csv", "--fields", "a,,b"], "--fields", 2),
        (["nothing-here", "-o", "x.jsonl"], "'nothing-here'", 1),
        (["--run", "nobody", "-o", "x.jsonl"], "--run", 1),
        (["other", "--run", "run-1", "-o", "x.jsonl"], "DATASET", 1),
        (["shop", "-o", "x.jsonl", "--server", "http://127.0.0.1:1"], "--db and --server", 2),
    ],
)
async def test_local_errors_name_the_input(
    local_db: str, tmp_path: Path, args: list[str], named: str, code: int
) -> None:
    done = await cli(*args, "--db", local_db, cwd=tmp_path)
    assert done.code == code, done.stderr
    assert named in done.stderr
    assert not any(tmp_path.glob("x.*"))  # noqa: ASYNC240 (a directory listing in a test)


async def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    done = await cli("shop", "-o", str(tmp_path / "x.jsonl"), "--db", str(missing))
    assert done.code == 2
    assert "--db" in done.stderr
    assert not missing.exists()


# -- from a server ---------------------------------------------------------------------------


async def test_server_exports_equal_the_api(served: Served, tmp_path: Path) -> None:
    cases = [
        (["shop", "-o", "a.jsonl"], "/api/datasets/shop/export", {}),
        (["shop", "-o", "a.csv"], "/api/datasets/shop/export", {"format": "csv"}),
        (["--run", "run-1", "-o", "r.csv"], "/api/runs/run-1/items/export", {"format": "csv"}),
        (
            ["shop", "--run", "run-2", "-o", "r.ndjson"],
            "/api/runs/run-2/items/export",
            {"format": "jsonl"},
        ),
    ]
    env = {"CRAWLSCOPE_TOKEN": served.viewer}
    for args, path, params in cases:
        done = await cli(*args, "--server", served.url, env=env, cwd=tmp_path)
        assert done.code == 0, done.stderr
        expected = (await served.client.get(path, params=params)).content
        assert (tmp_path / args[-1]).read_bytes() == expected, args
    # CRAWLSCOPE_SERVER works as --server does.
    done = await cli(
        "shop", "-o", "env.jsonl", env={**env, "CRAWLSCOPE_SERVER": served.url}, cwd=tmp_path
    )
    assert done.code == 0, done.stderr
    assert (tmp_path / "env.jsonl").read_bytes() == (tmp_path / "a.jsonl").read_bytes()


@pytest.mark.parametrize(
    ("args", "token", "named"),
    [
        (["shop"], None, "--token"),
        (["shop"], "ingest", "--token"),
        (["nothing-here"], "viewer", "DATASET"),
        (["--run", "nobody"], "viewer", "--run"),
        (["other", "--run", "run-1"], "viewer", "DATASET"),
    ],
)
async def test_server_errors_name_the_input(
    served: Served, tmp_path: Path, args: list[str], token: str | None, named: str
) -> None:
    secret = {"viewer": served.viewer, "ingest": served.ingest}.get(token or "")
    auth = ["--token", secret] if secret else []
    done = await cli(*args, "-o", "x.jsonl", "--server", served.url, *auth, cwd=tmp_path)
    assert done.code != 0
    assert named in done.stderr
    assert not any(tmp_path.glob("x.*"))  # noqa: ASYNC240 (a directory listing in a test)


async def test_an_unreachable_server_is_named(tmp_path: Path) -> None:
    done = await cli("shop", "-o", "x.jsonl", "--server", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.code == 2
    assert "--server" in done.stderr
    assert not any(tmp_path.glob("x.*"))  # noqa: ASYNC240 (a directory listing in a test)


async def test_a_download_cut_off_leaves_no_file(tmp_path: Path) -> None:
    """The server goes away mid-export: an error, and neither the file nor its .part."""

    async def half(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"id":1}\n' * 1000)
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_get("/api/datasets/shop/export", half)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        done = await cli("shop", "-o", "x.jsonl", "--server", url, cwd=tmp_path)
    finally:
        await runner.cleanup()
    assert done.code == 2, done.stderr
    assert "--server" in done.stderr
    assert not any(tmp_path.glob("x.*"))  # noqa: ASYNC240 (a directory listing in a test)
