"""``crawlscope tokens`` against a real SQLite file shared with a running server.

One test runs the installed entry point in a separate OS process; the others invoke the
same typer app in a worker thread (it runs its own event loop there, as on the command
line) to keep the file fast, while the server keeps serving in the test's loop.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from crawlscope.api import create_app
from crawlscope.api.auth import SESSION_COOKIE
from crawlscope.cli import app as cli_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop

TOKEN_RE = re.compile(r"cs_[A-Za-z0-9_-]{43}")


@pytest.fixture
async def server(db_path: Path) -> AsyncIterator[str]:
    """A server with auth on, on the same SQLite file the CLI uses."""
    app = create_app(Settings(database_url=str(db_path), auth="on"))
    async with serve_in_loop(app) as url:
        yield url


async def cli(*args: str) -> Result:
    """Run ``crawlscope ARGS`` in a thread (the CLI starts its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_created_token_works_on_the_server_until_revoked(server: str, db_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawlscope.cli",
        "tokens",
        "create",
        "--role",
        "operator",
        "--name",
        "ci-runner",
        "--db",
        str(db_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    # Only the token on stdout, so `TOKEN=$(crawlscope tokens create ...)` works.
    token = out.decode().strip()
    assert TOKEN_RE.fullmatch(token), out
    assert "cannot be shown again" in " ".join(err.decode().split())
    assert token.encode() not in b"".join(
        p.read_bytes() for p in db_path.parent.glob(db_path.name + "*")
    )

    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        assert (await client.get("/api/health/system", headers=_bearer(token))).status_code == 200
        pause = await client.post("/api/runs/no-such-run/pause", headers=_bearer(token))
        assert pause.status_code == 404  # allowed for an operator; the run does not exist
        assert (await client.get("/api/tokens", headers=_bearer(token))).status_code == 403
        login = await client.post("/api/auth/login", json={"token": token})
        assert login.status_code == 200
        assert (await client.get("/api/health/system")).status_code == 200

        listed = await cli("tokens", "list", "--db", str(db_path))
        assert listed.exit_code == 0, listed.output
        row = next(line for line in listed.stdout.splitlines() if "ci-runner" in line)
        assert "operator" in row
        assert token[:9] in row  # the prefix, to tell tokens apart
        assert token not in listed.stdout
        assert not re.search(r"│\s+-\s+│\s+-\s+│$", row.strip())  # last used is filled in

        revoked = await cli("tokens", "revoke", "ci-runner", "--db", str(db_path))
        assert revoked.exit_code == 0, revoked.output
        assert "revoked token 1 'ci-runner'" in revoked.stdout
        assert "1 browser session ended" in revoked.stdout

        # Refused at once: no restart, no cache to expire.
        after = await client.get("/api/health/system", headers=_bearer(token))
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "unauthorized"
        by_cookie = await client.get(
            "/api/health/system",
            headers={"Cookie": f"{SESSION_COOKIE}={login.cookies[SESSION_COOKIE]}"},
        )
        assert by_cookie.status_code == 401
        assert (await client.post("/api/auth/login", json={"token": token})).status_code == 401


async def test_list_shows_revoked_tokens_and_names_can_be_reused(db_path: Path) -> None:
    empty = await cli("tokens", "list", "--db", str(db_path))
    assert empty.exit_code == 0
    assert "no tokens" in empty.stdout

    first = await cli(
        "tokens", "create", "--role", "viewer", "--name", "wall", "--db", str(db_path)
    )
    assert first.exit_code == 0, first.output
    dup = await cli("tokens", "create", "--role", "admin", "--name", "wall", "--db", str(db_path))
    assert dup.exit_code == 2
    assert "--name" in dup.stderr
    assert "'wall' exists" in dup.stderr

    by_id = await cli("tokens", "revoke", "1", "--db", str(db_path))
    assert by_id.exit_code == 0, by_id.output
    again = await cli("tokens", "revoke", "wall", "--db", str(db_path))
    assert again.exit_code == 0
    assert "already revoked" in again.stdout

    second = await cli(
        "tokens", "create", "--role", "ADMIN", "--name", "wall", "--db", str(db_path)
    )
    assert second.exit_code == 0, second.output
    assert second.stdout.strip() != first.stdout.strip()

    listed = await cli("tokens", "list", "--db", str(db_path))
    rows = [line for line in listed.stdout.splitlines() if "wall" in line]
    assert len(rows) == 2
    assert rows[0].split("│")[1].strip() == "1"
    assert rows[0].split("│")[-2].strip() != "-"  # revoked at
    assert rows[1].split("│")[1].strip() == "2"
    assert rows[1].split("│")[-2].strip() == "-"
    active = await cli("tokens", "list", "--active", "--db", str(db_path))
    assert [
        line.split("│")[1].strip() for line in active.stdout.splitlines() if "wall" in line
    ] == ["2"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["create", "--role", "root", "--name", "x"], 2, "--role"),
        (["create", "--role", "viewer", "--name", "12"], 2, "--name: name must not be a number"),
        (["create", "--role", "viewer", "--name", "  "], 2, "--name: name must not be empty"),
        (["create", "--name", "x"], 2, "--role"),
        (["revoke", "nobody"], 1, "no token with id or name 'nobody'"),
        (["revoke", "99"], 1, "no token with id or name '99'"),
    ],
)
async def test_bad_input_is_a_clear_error_and_stores_nothing(
    db_path: Path, args: list[str], code: int, message: str
) -> None:
    result = await cli("tokens", *args, "--db", str(db_path))
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    listed = await cli("tokens", "list", "--db", str(db_path))
    assert "no tokens" in listed.stdout


async def test_unusable_database_path_names_the_option(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = await cli("tokens", "list", "--db", str(blocker / "x.db"))
    assert result.exit_code == 2
    assert "--db" in result.stderr
