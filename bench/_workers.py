"""What the distributed-worker benchmarks share: a Redis of their own, a slow local site,
a project directory holding the benchmark's collection, real ``crawlscope worker``
processes and a coordinator (a ``Monitor`` on a temporary SQLite file whose runs send
their tasks to Redis).

Everything listens on 127.0.0.1. The Redis is a ``redis-server`` started here on a free
port with persistence off (``--redis-url`` in a benchmark uses another one instead, with
a fresh key prefix), so other users of the machine's Redis neither slow the figures down
nor show up in command counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from aiohttp import web

# The benchmark's collection, written into a project directory so that the worker
# processes (started in it) find it the way `crawlscope worker` finds a project's.
PAGES_MODULE = '''"""Fetch N pages of a slow site, one task each; an item per page."""

from crawlscope.runner import Collection, SitePolicy, Task


async def fetch(ctx, task):
    response = await ctx.http.get(task.payload["url"])
    ctx.add_item({"page": task.payload["page"], "status": response.status})


def _seed(params):
    return [
        Task(f"page {i}", payload={"url": f"{params['base']}/p/{i}", "page": i})
        for i in range(int(params["pages"]))
    ]


# No site limit below the workers' own: what caps the crawl is each worker's slots.
collection = Collection(
    "benchpages",
    dataset="benchpages",
    key="page",
    site_policy=SitePolicy(timeout=30, max_concurrency=1000, max_attempts=1),
)
collection.seed(_seed)
collection.add_phase("fetch", fetch, workers=4)
'''
PROJECT_TOML = 'collections = ["benchpages:collection"]\n'


def free_port() -> int:
    """A TCP port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def own_redis() -> Iterator[str]:
    """A ``redis-server`` of this benchmark on a free port, no persistence; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not on PATH (or pass --redis-url)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def redis_for(url: str | None) -> Iterator[str]:
    """``url`` as given, else a Redis of our own."""
    if url:
        yield url
    else:
        with own_redis() as started:
            yield started


def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (a shared Redis keeps nothing of ours)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


# -- a slow site ------------------------------------------------------------------------


@dataclass
class SlowSite:
    """A local site answering every page after ``delay`` seconds (plus a little jitter)."""

    delay: tuple[float, float]
    url: str = ""
    served: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    first_at: float = 0.0
    last_at: float = 0.0

    def reset(self) -> None:
        self.served = self.most_in_flight = 0
        self.first_at = self.last_at = 0.0


@contextlib.asynccontextmanager
async def slow_site(delay: tuple[float, float]) -> AsyncIterator[SlowSite]:
    """Serve a ``SlowSite`` on 127.0.0.1 for the duration of the block."""
    import random

    site = SlowSite(delay)
    rng = random.Random(1)

    async def handle(request: web.Request) -> web.Response:
        site.in_flight += 1
        site.most_in_flight = max(site.most_in_flight, site.in_flight)
        try:
            await asyncio.sleep(rng.uniform(*site.delay))
        finally:
            site.in_flight -= 1
        now = time.monotonic()
        site.first_at = site.first_at or now
        site.last_at = now
        site.served += 1
        return web.Response(text=f"<html><p>{request.path}</p></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    site.url = f"http://127.0.0.1:{port}"
    try:
        yield site
    finally:
        await runner.cleanup()


# -- the project and its collection -----------------------------------------------------


@contextlib.contextmanager
def project_dir() -> Iterator[Path]:
    """A temporary project holding the ``benchpages`` collection; removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="crawlscope-bench-wq-"))
    try:
        (directory / "crawlscope.toml").write_text(PROJECT_TOML)
        (directory / "benchpages.py").write_text(PAGES_MODULE)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def load_collection(project: Path) -> Any:
    """The ``benchpages`` collection, loaded here from the project's file."""
    spec = importlib.util.spec_from_file_location("benchpages", project / "benchpages.py")
    assert spec is not None
    assert spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.collection


# -- worker processes -------------------------------------------------------------------


@dataclass
class Worker:
    """A ``crawlscope worker`` process and its output so far (read continuously)."""

    name: str
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """``kill -9``."""
        if self.process.returncode is None:
            self.process.kill()

    def moments(self, pattern: str) -> list[datetime]:
        """When the lines matching ``pattern`` were logged (the log's asctime)."""
        found = []
        for line in self.lines:
            if re.search(pattern, line):
                found.append(datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"))
        return found


def worker_env(redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    """The environment of a worker process: our Redis and prefix, nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(CRAWLSCOPE_REDIS_URL=redis_url, CRAWLSCOPE_REDIS_PREFIX=prefix, **extra)
    return env


async def start_worker(
    name: str, env: dict[str, str], cwd: Path, *, concurrency: int, timeout: float = 60
) -> Worker:
    """``crawlscope worker`` in ``cwd``, once it says it waits for tasks."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawlscope.cli",
        "worker",
        "--name",
        name,
        "--concurrency",
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=cwd,
    )
    worker = Worker(name, process)
    assert process.stdout is not None
    try:
        async with asyncio.timeout(timeout):
            while True:
                raw = await process.stdout.readline()
                if not raw:
                    raise RuntimeError(f"worker {name} ended before it was ready: {worker.lines}")
                worker.lines.append(raw.decode().rstrip())
                if "waiting for tasks" in worker.lines[-1]:
                    break
    except BaseException:
        worker.kill()
        await process.wait()
        raise

    async def keep_reading() -> None:  # a full pipe would block the worker
        assert process.stdout is not None
        while raw := await process.stdout.readline():
            worker.lines.append(raw.decode().rstrip())

    worker.reader = asyncio.create_task(keep_reading())
    return worker


async def start_workers(
    names: list[str], env: dict[str, str], cwd: Path, *, concurrency: int
) -> list[Worker]:
    """Several workers, started together (each ready before this returns)."""
    return list(
        await asyncio.gather(*(start_worker(n, env, cwd, concurrency=concurrency) for n in names))
    )


async def stop_workers(workers: list[Worker], *, grace_s: float = 15) -> None:
    """SIGTERM (a worker's orderly stop), then SIGKILL after ``grace_s``."""
    for worker in workers:
        if worker.process.returncode is None:
            worker.process.terminate()
    for worker in workers:
        try:
            await asyncio.wait_for(worker.process.wait(), grace_s)
        except TimeoutError:
            worker.kill()
            await worker.process.wait()
        if worker.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await worker.reader


# -- the coordinator --------------------------------------------------------------------


@contextlib.asynccontextmanager
async def coordinator(redis_url: str, prefix: str, lease_s: float) -> AsyncIterator[Any]:
    """A started ``Monitor`` on a temporary SQLite file whose runs go to Redis."""
    from _common import fresh_db_path
    from crawlscope.monitor import Monitor
    from crawlscope.workqueue import RedisWorkQueue

    monitor = Monitor(fresh_db_path("wq"), announce=False)
    monitor.work_queues = lambda: RedisWorkQueue(redis_url, prefix=prefix, lease_s=lease_s)
    await monitor.start()
    try:
        yield monitor
    finally:
        await monitor.stop()


def new_prefix() -> str:
    """A key prefix nobody else uses."""
    return f"crawlscope-bench-{uuid.uuid4().hex[:8]}"
