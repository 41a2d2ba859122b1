"""The ``crawlscope`` command line (typer + rich).

One module per command group; each registers itself here. Typer needs every command's
signature to build the command line (even for ``--help``), so the command modules are
imported here, but they keep their heavy imports (store, runner, server) inside the
commands: starting the CLI costs typer and rich, not the whole package.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from crawlscope.cli.alerts import alerts_app
from crawlscope.cli.common import fail
from crawlscope.cli.db import db_app
from crawlscope.cli.demo import demo
from crawlscope.cli.export import export
from crawlscope.cli.init import demo_site, init
from crawlscope.cli.remote import run
from crawlscope.cli.runs import runs_app
from crawlscope.cli.runs_control import (
    runs_cancel,
    runs_pause,
    runs_resume,
    runs_retry,
    runs_start,
)
from crawlscope.cli.schedules import schedules_app
from crawlscope.cli.serve import serve
from crawlscope.cli.tokens import tokens_app
from crawlscope.cli.worker import worker

__all__ = ["app", "main"]

# Registered on runs_app when imported (kept in their own module by meaning).
_RUNS_COMMANDS = (runs_start, runs_pause, runs_resume, runs_cancel, runs_retry)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Run parallel data-collection jobs and watch every worker live.",
)


@app.callback()
def _project(
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            envvar="CRAWLSCOPE_PROJECT",
            help="The project (a crawlscope.toml, or its folder); default: the one in this "
            "folder or the nearest parent.",
        ),
    ] = None,
) -> None:
    """Run parallel data-collection jobs and watch every worker live."""
    if project is not None:
        os.environ["CRAWLSCOPE_PROJECT"] = str(project)


app.command()(init)
app.command()(demo)
app.command("demo-site")(demo_site)
app.command()(serve)
app.command()(run)
app.command()(export)
app.command()(worker)
app.add_typer(runs_app, name="runs")
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(schedules_app, name="schedules")
app.add_typer(alerts_app, name="alerts")


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
        # Imported here: whatever raised these has imported them already.
        from crawlscope.project import ProjectError
        from crawlscope.runner.errors import ConfigError

        if isinstance(exc, ProjectError):
            fail(f"{exc} (option --project)")
            sys.exit(2)
        if not isinstance(exc, ConfigError):
            raise
        fail(str(exc))
        sys.exit(2)
