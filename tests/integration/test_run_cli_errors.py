"""`crawlscope run`: bad input gets a clear error naming the option."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from crawlscope.cli import app as cli_app
from tests.integration.test_remote_runner import free_port

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "crawlscope.cli"]

# -- the collection the runner process runs -------------------------------------------------


# -- clear CLI errors, each naming the option -----------------------------------------------


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, ["run", *args])
    return result.exit_code, " ".join(result.output.split())  # undo rich's line wrapping


def test_bad_target_is_named() -> None:
    code, out = _invoke("no_colon_here", "--server", "http://127.0.0.1:1")
    assert code == 2
    assert "MODULE:COLLECTION" in out
    code, out = _invoke("tests.integration.no_such_module:x", "--server", "http://127.0.0.1:1")
    assert code == 2
    assert "MODULE:COLLECTION" in out
    assert "no_such_module" in out
    code, out = _invoke("tests.integration.test_remote_runner:missing", "--server", "http://x")
    assert code == 2
    assert "has no attribute 'missing'" in out
    code, out = _invoke("tests.integration.test_remote_runner:REPO", "--server", "http://x")
    assert code == 2
    assert "not a crawlscope Collection" in out


def test_bad_params_and_workers_are_named() -> None:
    target = "tests.integration.test_remote_runner:collection"
    code, out = _invoke(target, "--server", "http://127.0.0.1:1", "--param", "novalue")
    assert code == 2
    assert "--param" in out
    assert "NAME=VALUE" in out
    code, out = _invoke(target, "--server", "http://127.0.0.1:1", "--param", "tasks=1")
    assert code == 2
    assert "--param" in out
    assert "base_url" in out
    code, out = _invoke(
        target, "--server", "http://127.0.0.1:1", "--param", "base_url=x", "--workers", "0"
    )
    assert code == 2
    assert "--workers" in out
    code, out = _invoke(target, "--server", "ftp://x", "--param", "base_url=x")
    assert code == 2
    assert "--server" in out


def test_unreachable_server_is_named(tmp_path: Path) -> None:
    target = "tests.integration.test_remote_runner:collection"
    port = free_port()  # nothing listens there any more
    code, out = _invoke(
        target,
        "--server",
        f"http://127.0.0.1:{port}",
        "--param",
        "base_url=http://127.0.0.1:1",
    )
    assert code == 2
    assert "--server" in out
    assert "cannot reach" in out


def test_a_remote_run_has_no_local_database() -> None:
    """Items go to the server's dataset: ``--db`` is not an option of ``run``."""
    target = "tests.integration.test_remote_runner:collection"
    code, out = _invoke(target, "--server", "http://127.0.0.1:1", "--db", "x.db")
    assert code == 2
    assert "--db" in out
