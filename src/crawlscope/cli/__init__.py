"""The ``crawlscope`` command line (typer + rich).

One module per command group; each registers itself here. Typer needs every command's
signature to build the command line (even for ``--help``), so the command modules are
imported here, but they keep their heavy imports (store, runner, server) inside the
commands: starting the CLI costs typer and rich, not the whole package.
"""

from __future__ import annotations

import logging
import sys

import typer

from crawlscope.cli.common import fail
from crawlscope.cli.db import db_app
from crawlscope.cli.demo import demo
from crawlscope.cli.export import export
from crawlscope.cli.remote import run
from crawlscope.cli.runs import runs_app
from crawlscope.cli.serve import serve
from crawlscope.cli.tokens import tokens_app

__all__ = ["app", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Run parallel data-collection jobs and watch every worker live.",
)
app.command()(demo)
app.command()(serve)
app.command()(run)
app.command()(export)
app.add_typer(runs_app, name="runs")
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")


def main() -> None:
    """Entry point of the ``crawlscope`` script."""
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        app()
    except Exception as exc:
        # Imported here: whatever raised a ConfigError has imported the runner already.
        from crawlscope.runner.errors import ConfigError

        if not isinstance(exc, ConfigError):
            raise
        fail(str(exc))
        sys.exit(2)
