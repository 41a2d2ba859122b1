"""What every command shares: consoles, the database option, error exits, running async code.

The command modules import only this, typer and rich at the top: everything heavier (the
store, SQLAlchemy, the runner, pydantic-settings) is imported inside the commands, so
``crawlscope --help`` and argument errors answer at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from crawlscope.store import Database

__all__ = [
    "DEFAULT_DATABASE",
    "DbOption",
    "ServerOption",
    "TokenOption",
    "console",
    "database_url",
    "err_console",
    "exit_code",
    "fail",
    "open_database",
    "run_async",
]

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

DEFAULT_DATABASE = "data/crawlscope.db"
"""``Settings.database_url``'s default (tests/unit/test_cli_choices.py keeps them equal)."""

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CRAWLSCOPE_DATABASE_URL",
        help="SQLite file or database URL.",
        show_default=f"the project's, else {DEFAULT_DATABASE}",
    ),
]
"""``--db``: every command's ``db: DbOption = None`` (None: the settings decide, so the
project file's database applies)."""

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="CRAWLSCOPE_SERVER",
        help="A crawlscope server to ask instead of the local database, "
        "e.g. http://127.0.0.1:8000.",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="CRAWLSCOPE_TOKEN",
        help="Token for --server (not needed when the server has authentication off).",
    ),
]


def database_url(db: str | None) -> str:
    """The ``--db`` option (which reads ``CRAWLSCOPE_DATABASE_URL``), else the settings'."""
    if db:
        return db
    from crawlscope.config import Settings

    return Settings().database_url


# The exit codes of commands that run a collection (``crawlscope run``, ``crawlscope demo``);
# docs/configuration.md lists them. Keyed by status text: building ``--help`` must not
# import ``crawlscope.status``'s users, and a status this table misses is a failure.
_EXIT_CODES = {
    "completed": 0,
    "failed": 1,
    # 2: a bad option or an unusable database (``fail(..., 2)``), before anything ran
    "completed_with_errors": 3,
    "cancelled": 4,
    "interrupted": 4,
}


def exit_code(status: str) -> int:
    """The exit code for a run that ended with ``status`` (1 for anything unknown)."""
    return _EXIT_CODES.get(str(status), 1)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error; raise the returned ``Exit`` to stop with ``code``.

    The message is text, not rich markup: ``crawlscope[postgres]`` or a path with brackets
    is printed as it is. It is not wrapped: a path or URL in it stays one piece to copy
    (the terminal wraps what is too long to show; a log keeps the line whole).
    """
    err_console.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def run_async(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn()`` in a new event loop, turning store and config errors into clear exits."""
    from crawlscope.runner.errors import ConfigError
    from crawlscope.store import StoreError

    try:
        return asyncio.run(fn())  # type: ignore[arg-type]
    except StoreError as exc:
        raise fail(f"{exc} (option --db)", 2) from exc
    except ConfigError as exc:
        raise fail(str(exc), 2) from exc


async def open_database(url: str) -> Database:
    """Open (and migrate) the database at ``url``."""
    from crawlscope.store import Database

    database = Database(url)
    await database.open()
    return database
