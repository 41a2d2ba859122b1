"""Real crawlscope processes for tests: ``serve`` and ``worker`` on PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import RedisSpace

__all__ = ["Process", "serve_process", "until", "worker_process"]


@dataclass
class Process:
    """A started process, its output so far (read continuously) and, for a server, its URL."""

    process: asyncio.subprocess.Process
    url: str = ""
    lines: list[str] = field(default_factory=list)

    def kill(self) -> None:
        """``kill -9``."""
        if self.process.returncode is None:
            self.process.kill()


def _env(redis: RedisSpace, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(
        CRAWLSCOPE_REDIS_URL=redis.url,
        CRAWLSCOPE_REDIS_PREFIX=redis.prefix,
        CRAWLSCOPE_SCHEDULER="false",
        CRAWLSCOPE_ALERTS_ENABLED="false",
        **extra,
    )
    return env


@contextlib.asynccontextmanager
async def _started(
    args: list[str], env: dict[str, str], cwd: Path | None, ready: str
) -> AsyncIterator[Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawlscope.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=cwd,
    )
    assert process.stdout is not None
    started = Process(process)
    reader: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(60):
            while True:
                raw = await process.stdout.readline()
                assert raw, f"{args[0]} ended before it was ready: {started.lines}"
                started.lines.append(raw.decode().rstrip())
                found = re.search(ready, started.lines[-1])
                if found:
                    started.url = found.group(1) if found.groups() else ""
                    break

        async def keep_reading() -> None:  # a full pipe would block the process
            assert process.stdout is not None
            while raw := await process.stdout.readline():
                started.lines.append(raw.decode().rstrip())

        reader = asyncio.create_task(keep_reading())
        yield started
    finally:
        started.kill()
        await process.wait()
        if reader is not None:
            reader.cancel()


def serve_process(
    database_url: str, redis: RedisSpace, *, cwd: Path | None = None, **env: str
) -> contextlib.AbstractAsyncContextManager[Process]:
    """``crawlscope serve`` on a free port (its URL in ``.url``); killed afterwards."""
    return _started(
        ["serve", "--port", "0", "--db", database_url],
        _env(redis, env),
        cwd,
        r"crawlscope on (http://127\.0\.0\.1:\d+) ",
    )


def worker_process(
    redis: RedisSpace, name: str, *, concurrency: int = 4, cwd: Path | None = None, **env: str
) -> contextlib.AbstractAsyncContextManager[Process]:
    """``crawlscope worker``, once it waits for tasks; killed afterwards."""
    return _started(
        ["worker", "--name", name, "--concurrency", str(concurrency)],
        _env(redis, env),
        cwd,
        r"waiting for tasks",
    )


async def until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait until ``check()`` is true (polled every 20 ms); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.02)
