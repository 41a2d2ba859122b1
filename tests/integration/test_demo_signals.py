"""Stopping a demo with SIGTERM (or Ctrl-C) mid-run: a clean exit, no traceback.

The traceback users saw came from the demo site, served by uvicorn in the same process:
uvicorn took the process's SIGINT/SIGTERM for itself, so the site stopped while the run
still had requests in flight, and a request delayed by a ``timeout`` fault was still
sleeping when uvicorn's graceful-shutdown timeout cancelled it (``Exception in ASGI
application ... CancelledError``). The first two tests pin each cause down in-process;
the last ones send SIGTERM to real processes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from crawlscope.demo.catalog import build_catalog
from crawlscope.demo.faults import FaultConfig
from crawlscope.demo.target_site import create_site, serve_site
from crawlscope.serving import serve_in_loop

CLI = [sys.executable, "-m", "crawlscope.cli"]


async def _nothing(scope: object, receive: object, send: object) -> None:
    return None


async def test_an_embedded_server_leaves_the_signals_to_the_program() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    async with serve_in_loop(_nothing, lifespan="off"):
        during = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    assert during == before


async def test_a_delayed_answer_ends_when_its_client_leaves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every answer hangs 30 s; the client gives up; the site then stops at once, quietly."""
    faults = FaultConfig(timeout_rate=1.0, timeout_s=30.0, max_faults_per_url=100)
    site = create_site(build_catalog(seed=7, scale="tiny"), faults)
    caplog.set_level(logging.ERROR)
    async with serve_site(site) as running, aiohttp.ClientSession() as session:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await session.get(f"{running.url}/")
        await asyncio.sleep(0.1)  # the disconnect reaches the site
        started = time.monotonic()
    stopped_after = time.monotonic() - started
    assert site.requests == 1
    # Without the disconnect check the handler sleeps on, and uvicorn cancels it after its
    # one-second graceful-shutdown timeout, logging the CancelledError.
    assert stopped_after < 0.9, stopped_after
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")], caplog.text


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(NO_COLOR="1", COLUMNS="200")
    return env


async def _sigterm_mid_run(args: list[str], started: str, after: float) -> tuple[int, str, str]:
    """Start ``crawlscope ARGS``, wait for a line matching ``started`` and ``after`` more
    seconds, send SIGTERM; return the exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any(re.search(started, line) for line in seen):
                raw = await process.stdout.readline()
                assert raw, f"stdout closed before {started!r}: {seen}"
                seen.append(raw.decode())
        await asyncio.sleep(after)
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, "".join(seen) + out.decode(), err.decode()


# Moments into the run: early, and when requests delayed by the demo's timeout fault
# (2.5 s) are in flight (the catalog and faults are seeded): before the fix, SIGTERM 2 to
# 2.5 s after the start line printed the traceback in every try here; at 0.5 s it did not.
@pytest.mark.parametrize("after", [0.5, 2.5])
async def test_sigterm_stops_crawlscope_demo_cleanly(tmp_path: Path, after: float) -> None:
    code, out, err = await _sigterm_mid_run(
        ["demo", "--scale", "small", "--db", str(tmp_path / "demo.db")],
        r"^demo site on http://127\.0\.0\.1:\d+",
        after,
    )
    # The run was cancelled, so the demo says why and exits 4 (0 only for a completed run).
    assert code == 4, (out, err)
    assert re.search(
        r"run \w+ cancelled \(interrupted by a signal \(Ctrl-C or SIGTERM\)[^)]*\): dataset", out
    ), out
    assert "Traceback" not in err, err
    assert "Error" not in err, err


@pytest.mark.parametrize("after", [2.0])
async def test_sigterm_stops_serve_demo_cleanly(tmp_path: Path, after: float) -> None:
    code, out, err = await _sigterm_mid_run(
        ["serve", "--demo", "--port", "0", "--db", str(tmp_path / "serve.db")],
        r"^run \w+ started \(demo\)",
        after,
    )
    assert code == 0, (out, err)
    assert "crawlscope stopped" in out
    assert re.search(r"run \w+ cancelled after", out), out
    assert "Traceback" not in err, err
    assert "ERROR" not in err, err
