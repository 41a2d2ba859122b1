"""``crawlscope worker``: a worker process of the distributed work queue.

It takes tasks of runs whose server has ``work_queue = "redis"`` from Redis and runs
their handlers; it needs the same collections as the server (the project's, found the
same way) and the server's Redis, never its database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from crawlscope.cli.common import fail, run_async

if TYPE_CHECKING:
    from crawlscope.registry import CollectionRegistry

__all__ = ["worker"]


def worker(
    redis_url: Annotated[
        str | None,
        typer.Option(
            "--redis-url",
            help="The server's Redis (redis://...); default: the redis_url setting "
            "(CRAWLSCOPE_REDIS_URL or the project's).",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", "-c", min=1, max=10_000, help="Tasks run at once."),
    ] = 8,
    name: Annotated[
        str | None,
        typer.Option("--name", help="This worker's consumer name; default: host-pid."),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Take tasks of running runs from Redis and run them (scale-out; docs/deployment.md)."""
    from crawlscope.config import Settings

    level = getattr(logging, log_level.upper(), None)
    if not isinstance(level, int):
        raise fail(f"--log-level must be debug, info, warning or error, not {log_level!r}", 2)
    # The command line's handler prints WARNING and up; a worker says what it takes over.
    logging.getLogger("crawlscope").setLevel(level)
    settings = Settings()
    url = redis_url or settings.redis_url
    if not url:
        raise fail("--redis-url is needed (or CRAWLSCOPE_REDIS_URL): the tasks come from Redis", 2)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise fail(f"--redis-url must be a redis://, rediss:// or unix:// URL, not {url!r}", 2)
    try:
        from crawlscope.workqueue import WorkerProcess
    except ImportError as exc:
        raise fail(
            f"the worker needs redis-py: pip install 'crawlscope[redis]' ({exc})", 2
        ) from exc
    process = WorkerProcess(
        url, _registry(), prefix=settings.redis_prefix, concurrency=concurrency, name=name
    )
    run_async(lambda: _serve(process))


def _registry() -> CollectionRegistry:
    """The collections a server in this project has, the demo included."""
    from crawlscope.demo.collection import demo_collection
    from crawlscope.project import find_project, load_collection, packaged_collections
    from crawlscope.registry import CollectionRegistry

    project = find_project()
    if project is not None:
        registry = project.registry()
    else:
        registry = CollectionRegistry()
        for entry in packaged_collections():
            registry.register(load_collection(entry.target), description=entry.description)
    if "demo" not in registry:
        registry.register(demo_collection(), description="the bundled demo")
    return registry


async def _serve(process: object) -> None:
    from crawlscope.workqueue import WorkerProcess

    assert isinstance(process, WorkerProcess)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    logging.getLogger(__name__).info(
        "worker %s: %d slots, waiting for tasks", process.name, process.concurrency
    )
    await process.run(stop)
