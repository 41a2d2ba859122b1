"""``crawlscope serve``: the API, live streams and dashboard on one port."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from crawlscope.cli.common import DbOption, console, fail
from crawlscope.config import Settings

__all__ = ["serve"]


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [env: CRAWLSCOPE_HOST].")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on [env: CRAWLSCOPE_PORT]."),
    ] = None,
    db: DbOption = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Also serve the demo site and start a demo run.")
    ] = False,
    demo_scale: Annotated[
        str, typer.Option(help="Demo catalog size: tiny, small, medium, large.")
    ] = "small",
) -> None:
    """Serve the API and the dashboard."""
    if demo_scale not in ("tiny", "small", "medium", "large"):
        raise fail(f"--demo-scale must be tiny, small, medium or large, got {demo_scale!r}", 2)
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if db is not None:
        overrides["database_url"] = db
    if demo:
        overrides["demo"] = True
        overrides["demo_scale"] = demo_scale
    settings = Settings(**overrides)  # type: ignore[arg-type]

    from crawlscope.api import create_app

    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    console.print(f"crawlscope on [bold]http://{shown}:{settings.port}[/] (API docs at /docs)")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )
