"""``crawlscope db``: database maintenance."""

from __future__ import annotations

import typer

from crawlscope.cli.common import (
    DbOption,
    console,
    database_url,
    open_database,
    run_async,
)

__all__ = ["db_app", "upgrade_message"]

db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date, and say which it did."""

    async def go() -> str:
        database = await open_database(database_url(db))
        await database.close()
        before, after = database.revisions or (None, None)
        return upgrade_message(database.display_url, before, after)

    console.print(run_async(go), markup=False, highlight=False, soft_wrap=True)


def upgrade_message(where: str, before: str | None, after: str | None) -> str:
    """What opening the database did to its schema, given the revisions before and after."""
    if before is None:
        return f"database {where}: schema created at revision {after} (the database was empty)"
    if before != after:
        return f"database {where} upgraded from revision {before} to {after}"
    return f"database {where} already at revision {after} (up to date)"
