"""``crawlscope serve`` as a user runs it: a real process, its output, its exit code."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crawlscope.cli import app

CLI = [sys.executable, "-m", "crawlscope.cli"]


def _env(**extra: str) -> dict[str, str]:
    """The test's environment without CRAWLSCOPE_* settings that would change the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(extra)
    return env


@dataclass
class Served:
    process: asyncio.subprocess.Process
    url: str
    lines: list[str]

    async def read_until(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        """Read stdout lines until one matches ``pattern``."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                assert raw, f"stdout closed before {pattern!r}; got {self.lines}"
                line = raw.decode().rstrip()
                self.lines.append(line)
                found = re.search(pattern, line)
                if found:
                    return found


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    """``crawlscope serve --demo`` on a free port, stopped with Ctrl-C at the end."""
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "serve",
        "--port",
        "0",
        "--db",
        str(tmp_path / "serve.db"),
        "--demo",
        "--demo-scale",
        "tiny",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
    )
    served = Served(process, "", [])
    try:
        match = await served.read_until(r"crawlscope on (http://127\.0\.0\.1:\d+) ")
        served.url = match.group(1)
        yield served
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_serve_demo_shows_url_auth_and_runs_then_stops_on_ctrl_c(served: Served) -> None:
    await served.read_until(r"^auth: off")
    demo = await served.read_until(r"^demo site on http://127\.0\.0\.1:\d+; demo run (\w+) started")
    first_id = demo.group(1)

    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        runs = (await client.get("/api/runs")).json()["runs"]
        assert [r["id"] for r in runs] == [first_id]
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/readyz")).json() == {"status": "ready"}
        # the demo can be started again from the API
        response = await client.post(
            "/api/runs", json={"collection": "demo", "params": {"max_categories": 1}}
        )
        assert response.status_code == 201, response.text
        second_id = response.json()["run_id"]

    # the terminal reports each run's start and end
    ended = set()
    while ended != {first_id, second_id}:
        match = await served.read_until(r"^run (\w+) (\w+) after ")
        assert match.group(2) == "completed", served.lines
        ended.add(match.group(1))
    assert any(line == f"run {second_id} started (demo)" for line in served.lines)

    served.process.send_signal(signal.SIGINT)
    stdout, stderr = await asyncio.wait_for(served.process.communicate(), 30)
    assert served.process.returncode == 0, stderr.decode()
    assert "crawlscope stopped" in stdout.decode()
    assert "Traceback" not in stderr.decode()


async def _run_cli(args: list[str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "serve",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, " ".join((stdout + stderr).decode().split())


async def test_unusable_database_or_port_end_the_process_cleanly(tmp_path: Path) -> None:
    """In a real process: one line naming the option, exit code 2, no traceback."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        bad_db, busy_port = await asyncio.gather(
            _run_cli(["--db", str(a_file / "x.db")]),
            _run_cli(["--db", str(tmp_path / "ok.db"), "--port", str(busy.getsockname()[1])]),
        )
    finally:
        busy.close()
    for code, output in (bad_db, busy_port):
        assert code == 2, output
        assert output.startswith("Error: "), output
        assert "Traceback" not in output
    assert "(option --db)" in bad_db[1]
    assert str(a_file) in bad_db[1]
    assert "cannot listen" in busy_port[1]
    assert "--port" in busy_port[1]
    # the rejected location left nothing behind
    assert not await asyncio.to_thread((a_file / "x.db").exists)


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["--db", "{tmp}"], {}, ["(option --db)", "is not a file"]),
        # a valid address this machine does not have (TEST-NET-1): no name lookup involved
        (["--host", "192.0.2.1"], {}, ["cannot listen on 192.0.2.1", "--host"]),
        (["--host", "0.0.0.0", "--auth", "off"], {}, ["refused", "--auth"]),
        (["--demo-scale", "huge"], {}, ["--demo-scale", "'huge'"]),
        (["--auth", "maybe"], {}, ["--auth", "'maybe'"]),
        (["--log-level", "loud"], {}, ["--log-level", "'loud'"]),
        (["--port", "70000"], {}, ["--port"]),
        # An option's variable is read (and checked) with the option: the error names both.
        ([], {"CRAWLSCOPE_PORT": "x"}, ["'--port'", "CRAWLSCOPE_PORT"]),
        ([], {"CRAWLSCOPE_AUTH": "sometimes"}, ["'--auth'", "CRAWLSCOPE_AUTH", "'sometimes'"]),
        ([], {"CRAWLSCOPE_LOG_LEVEL": "loud"}, ["'--log-level'", "CRAWLSCOPE_LOG_LEVEL"]),
        ([], {"CRAWLSCOPE_DEMO": "1", "CRAWLSCOPE_DEMO_SCALE": "huge"}, ["DEMO_SCALE"]),
        ([], {"CRAWLSCOPE_DEMO": "maybe"}, ["'--demo'", "CRAWLSCOPE_DEMO"]),
        # A setting without an option: checked by the settings, named by its variable.
        (
            [],
            {"CRAWLSCOPE_STALE_RUN_AFTER_S": "-1"},
            ["invalid stale_run_after_s", "CRAWLSCOPE_STALE_RUN_AFTER_S"],
        ),
    ],
)
def test_option_errors_name_the_option(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    words: list[str],
) -> None:
    """In-process (cheap): every case fails before anything listens."""
    for name in list(os.environ):
        if name.startswith("CRAWLSCOPE_"):
            monkeypatch.delenv(name)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--db" not in args:
        args += ["--db", str(tmp_path / "ok.db")]
    result = CliRunner().invoke(app, ["serve", *args], env=env)
    output = " ".join(result.output.split())
    assert result.exit_code == 2, output
    assert isinstance(result.exception, SystemExit), result.exception
    for word in words:
        assert word in output


async def test_auth_on_without_a_token_says_how_to_create_the_first(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "serve",
        "--port",
        "0",
        "--auth",
        "on",
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(COLUMNS="300"),
    )
    served = Served(process, "", [])
    try:
        await served.read_until(r"^auth: on")
        hint = await served.read_until(r"^no token yet: ")
        assert f"crawlscope tokens create --role admin --name me --db {db}" in hint.string
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 20)
    # The token it names lands in that database, and the command says which one it used.
    created = await asyncio.create_subprocess_exec(
        *CLI,
        "tokens",
        "create",
        "--role",
        "admin",
        "--name",
        "me",
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(COLUMNS="300"),
    )
    out, err = await created.communicate()
    assert created.returncode == 0
    assert out.decode().startswith("cs_")
    assert f"in sqlite+aiosqlite:///{db}; a server must use this database" in " ".join(
        err.decode().split()
    )
