"""``crawlscope db``: database maintenance."""

from __future__ import annotations

import typer

from crawlscope.cli.common import DbOption, console, database_url, open_database, run_async

__all__ = ["db_app"]

db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date."""

    async def go() -> str:
        database = await open_database(database_url(db))
        await database.close()
        return database.display_url

    console.print(f"database {run_async(go)} is up to date")
