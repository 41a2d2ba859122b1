"""``crawlscope serve --log-format json`` and ``--access-log`` in a real server process:
every line it writes is a JSON object with the promised keys, the access log has one
line per request, and bad values stop at the option that carries them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx

CLI = [sys.executable, "-m", "crawlscope.cli", "serve", "--port", "0"]
KEYS = {"timestamp", "level", "logger", "message"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(extra)
    return env


async def _json_line(stream: asyncio.StreamReader, seen: list[dict[str, Any]]) -> dict[str, Any]:
    raw = await stream.readline()
    assert raw, f"stderr closed; got {seen}"
    line: dict[str, Any] = json.loads(raw)  # every line is JSON, or this fails
    assert set(line) >= KEYS, line
    seen.append(line)
    return line


async def test_json_log_lines_with_the_access_log(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "--db",
        str(tmp_path / "json.db"),
        "--log-format",
        "json",
        # the demo site, served in the same process, must not silence the access log
        "--demo",
        "--demo-scale",
        "tiny",
        "--demo-once",
        env=_env(CRAWLSCOPE_ACCESS_LOG="true"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(60):
            while "url" not in (banner := await _json_line(process.stderr, seen)):
                pass
        assert banner["logger"] == "crawlscope.serve"
        assert banner["level"] == "info"
        assert banner["message"].startswith(f"crawlscope on {banner['url']}")
        assert banner["timestamp"].endswith("Z")
        async with httpx.AsyncClient(base_url=banner["url"]) as client:
            assert (await client.get("/api/runs?limit=3")).status_code == 200
            assert (await client.get("/api/runs/nope")).status_code == 404
        async with asyncio.timeout(30):
            access = []
            while len(access) < 2:
                line = await _json_line(process.stderr, seen)
                if line["logger"] == "crawlscope.access":
                    access.append(line)
        assert [(a["method"], a["path"], a["status"]) for a in access] == [
            ("GET", "/api/runs?limit=3", 200),
            ("GET", "/api/runs/nope", 404),
        ]
        assert all(a["client"].startswith("127.0.0.1:") for a in access)
        assert all(a["http_version"] == "1.1" and a["duration_ms"] >= 0 for a in access)
        assert access[0]["message"].startswith(f'{access[0]["client"]} - "GET /api/runs?limit=3')
        async with asyncio.timeout(60):
            while (line := await _json_line(process.stderr, seen)).get("event") != "run_ended":
                pass
        assert line["status"] == "completed"
        assert line["requests"] > 0
        assert line["collection"] == "demo"
        started = [s for s in seen if s.get("event") == "run_started"]
        assert [s["run_id"] for s in started] == [line["run_id"]]
        # the demo site's own requests are not in the server's access log
        assert all(
            a["path"].startswith("/api/") for a in seen if a["logger"] == "crawlscope.access"
        )
        process.send_signal(signal.SIGINT)
        stdout, rest = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    lines = [json.loads(raw) for raw in rest.decode().splitlines()]
    assert all(set(line) >= KEYS for line in lines)
    assert lines[-1]["message"] == "crawlscope stopped"
    assert stdout == b""  # nothing for a log collector to trip over


async def test_text_logs_have_no_access_log_by_default(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "--db",
        str(tmp_path / "text.db"),
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(60):
            first = (await process.stdout.readline()).decode()
        url = first.split()[2]
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/api/runs/nope")).status_code == 404
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert "crawlscope stopped" in stdout.decode()
    assert "/api/runs/nope" not in (stdout + stderr).decode()


async def _fails(args: list[str], **env: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        env=_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    text = " ".join((stdout + stderr).decode().split())
    assert "Traceback" not in text
    return text


async def test_bad_values_name_the_option(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "never.db")]
    shown = await _fails([*db, "--log-format", "xml"])
    assert "--log-format" in shown
    assert "'xml' is not one of 'text', 'json'" in shown
    shown = await _fails(db, CRAWLSCOPE_LOG_FORMAT="yaml")
    assert "--log-format" in shown
    shown = await _fails(db, CRAWLSCOPE_ACCESS_LOG="maybe")
    assert "--access-log" in shown
    assert not (tmp_path / "never.db").exists()
