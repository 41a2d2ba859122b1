"""``import crawlscope`` and the command line stay cheap; the public names still resolve.

The heavy parts (the store with SQLAlchemy and Alembic, the runner with aiohttp, the
server) load when a command or a name needs them, not when ``crawlscope --help`` runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import crawlscope
from crawlscope.access import Role
from crawlscope.cli.tokens import ROLE_NAMES

HEAVY = ("sqlalchemy", "alembic", "aiohttp", "uvicorn", "fastapi", "crawlscope.monitor")

_PROBE = """
import contextlib, json, sys
import crawlscope, crawlscope.cli
with contextlib.suppress(SystemExit):
    crawlscope.cli.app(["--help"])  # builds every command's options
for group in ("runs", "tokens", "db"):
    with contextlib.suppress(SystemExit):
        crawlscope.cli.app([group, "--help"])
heavy = sorted({m.split(".")[0] if not m.startswith("crawlscope") else m for m in sys.modules})
print(json.dumps(heavy))
"""


def test_the_command_line_starts_without_the_heavy_modules() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "typer" in loaded  # the probe really built the command line
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


_CLIENT_PROBE = """
import json, sys
import crawlscope.client
from crawlscope.client import HttpReporter, ServerControl
print(json.dumps(sorted(sys.modules)))
"""

# The remote reporter runs next to a collection, often on another machine: it needs the
# wire types and httpx, not the server's storage or web framework.
SERVER_ONLY = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "asyncpg", "aiosqlite")


def test_the_remote_reporter_loads_neither_the_store_nor_the_server() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT_PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {"httpx", "crawlscope.client.reporter", "crawlscope.ingest.wire"} <= loaded
    tops = {name.split(".")[0] for name in loaded}
    assert not tops & set(SERVER_ONLY), sorted(tops & set(SERVER_ONLY))
    ours = {name for name in loaded if name.startswith("crawlscope.")}
    assert not {m for m in ours if m.startswith(("crawlscope.store", "crawlscope.api"))}
    assert not ours & {"crawlscope.monitor", "crawlscope.ingest.ingestor"}


def test_the_ingestor_still_resolves_from_the_package() -> None:
    import crawlscope.ingest
    from crawlscope.ingest.ingestor import Ingestor

    assert crawlscope.ingest.Ingestor is Ingestor
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        crawlscope.ingest.Nope  # noqa: B018 - the attribute access is what is tested


def test_public_names_resolve_on_first_use() -> None:
    for name in crawlscope.__all__:
        assert getattr(crawlscope, name) is not None
    from crawlscope import Collection, Monitor
    from crawlscope.monitor import Monitor as DefinedMonitor
    from crawlscope.runner import Collection as DefinedCollection

    assert (Collection, Monitor) == (DefinedCollection, DefinedMonitor)
    assert set(crawlscope.__all__) <= set(dir(crawlscope))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        crawlscope.Nope  # noqa: B018 - the attribute access is what is tested


def test_the_cli_role_names_are_the_roles() -> None:
    assert tuple(role.value for role in Role) == ROLE_NAMES
