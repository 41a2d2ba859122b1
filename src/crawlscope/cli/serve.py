"""``crawlscope serve``: the API, live streams and dashboard on one port.

Everything that can be wrong with the options (database location, address, port, auth
mode) is checked before uvicorn starts, so a mistake is one clear line naming the option
and exit code 2, not a traceback. While serving, the terminal shows the URL, whether
authentication is on, and one live line per active run (rich ``Live``, about once a
second); log records are printed above that line instead of through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.choices import AuthSetting, DemoScale, LogLevel
from crawlscope.cli.common import (
    DbOption,
    console,
    fail,
    open_database,
    run_async,
)

if TYPE_CHECKING:
    import uvicorn
    from rich.text import Text

    from crawlscope.access import AuthMode
    from crawlscope.aggregate import RunFrame
    from crawlscope.config import Settings

# The server's modules (uvicorn, pydantic settings, the access rules, rich's live view)
# are imported when the command runs, not when the command line is built.

__all__ = ["serve"]

# Which option (or variable) sets each setting, for error messages.
_OPTION = {
    "database_url": "--db",
    "host": "--host",
    "port": "--port",
    "auth": "--auth",
    "log_level": "--log-level",
    "demo_scale": "--demo-scale",
    "demo_repeat_s": "--demo-repeat",
}


def serve(
    host: Annotated[
        str | None,
        typer.Option(
            envvar="CRAWLSCOPE_HOST",
            help="Address to listen on. Anything but loopback turns authentication on "
            "(see --auth).",
            show_default="127.0.0.1, or the project's",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            envvar="CRAWLSCOPE_PORT",
            help="Port to listen on; 0 picks a free one.",
            show_default="8000, or the project's",
        ),
    ] = None,
    db: DbOption = None,
    auth: Annotated[
        AuthSetting | None,
        typer.Option(
            envvar="CRAWLSCOPE_AUTH",
            case_sensitive=False,
            help="auto: authentication required unless listening on loopback only; on: "
            "always; off: never (refused for non-loopback addresses).",
            show_default="auto, or the project's",
        ),
    ] = None,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            envvar="CRAWLSCOPE_LOG_LEVEL",
            case_sensitive=False,
            help="crawlscope's log level (uvicorn's start-up messages only at debug).",
            show_default="info, or the project's",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            envvar="CRAWLSCOPE_DEMO",
            help="Also serve the demo site and start a demo run.",
        ),
    ] = False,
    demo_scale: Annotated[
        DemoScale | None,
        typer.Option(
            envvar="CRAWLSCOPE_DEMO_SCALE",
            case_sensitive=False,
            help="Demo catalog size.",
            show_default="small, or the project's",
        ),
    ] = None,
    demo_repeat: Annotated[
        float,
        typer.Option(
            min=0,
            envvar="CRAWLSCOPE_DEMO_REPEAT_S",
            help="With --demo: seconds between the end of a demo run and the start of the "
            "next, so there is always a run to watch.",
        ),
    ] = 15.0,
    demo_once: Annotated[
        bool, typer.Option("--demo-once", help="With --demo: one demo run only.")
    ] = False,
) -> None:
    """Serve the API and the dashboard."""
    from crawlscope.access import AccessConfigError, auth_mode

    # Every option reads its CRAWLSCOPE_* variable itself (typer); an option left unset is
    # left to the settings, so the project file's [settings] apply (docs/configuration.md).
    given: dict[str, Any] = {
        "host": host,
        # 0 ("any free port") is not a valid setting: the bound port replaces it below.
        "port": port or None,
        "database_url": db,
        "auth": auth.value if auth else None,
        "log_level": log_level.value if log_level else None,
        "demo_scale": demo_scale.value if demo_scale else None,
    }
    settings = _settings(
        {
            **{name: value for name, value in given.items() if value is not None},
            "demo": demo,
            "demo_repeat_s": None if demo_once else demo_repeat,
        }
    )
    try:
        mode = auth_mode(settings)
    except AccessConfigError as exc:
        raise fail(f"{exc} (options --auth, --host)", 2) from exc
    # Opening migrates the schema: a bad --db fails here, before anything listens.
    from crawlscope.project import find_project

    project = find_project()
    if project is not None:
        project.schedule_specs()  # a bad [[schedules]] entry stops here, named
    created = run_async(lambda: _check_database(settings.database_url))
    sock = _listen(settings.host, settings.port if port is None else port)
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    try:
        code = asyncio.run(_serve(settings, sock, mode, created=created))
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        code = 130
    finally:
        sock.close()
    raise typer.Exit(code)


def _settings(overrides: dict[str, Any]) -> Settings:
    import pydantic

    from crawlscope.config import Settings

    try:
        return Settings(**overrides)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "settings"
        where = _OPTION.get(name, f"CRAWLSCOPE_{name.upper()}")
        if where.startswith("--"):
            where = f"option {where} or CRAWLSCOPE_{name.upper()}"
        raise fail(f"invalid {name}: {first['msg']} ({where})", 2) from exc


async def _check_database(url: str) -> bool:
    """Open (create, migrate) the database before serving; whether it was new."""
    database = await open_database(url)
    await database.close()
    return database.revisions is not None and database.revisions[0] is None


def _listen(host: str, port: int) -> socket.socket:
    from crawlscope.serving import bind_socket

    try:
        return bind_socket(host, port)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise fail(f"cannot listen on {host}:{port}: {reason} (options --host, --port)", 2) from exc


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, minus re-raising the signal that stopped it.

    uvicorn re-raises SIGINT/SIGTERM after a graceful shutdown so a host program sees
    them; here the shutdown *is* the program's end, and re-raising would turn a clean
    stop into a KeyboardInterrupt traceback or exit code 143.
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return Server(config)


def _uvicorn_level(level: str) -> int:
    """uvicorn's own start-up chatter is replaced by the banner unless debugging."""
    numeric: int = getattr(logging, level.upper())
    return numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)


def _configure_logging(level: str) -> logging.Handler | None:
    """crawlscope's loggers at ``level``; on a terminal, through rich above the live line."""
    logging.getLogger("crawlscope").setLevel(getattr(logging, level.upper()))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logging.getLogger(name).setLevel(_uvicorn_level(level))
    if not console.is_terminal:
        return None
    from rich.logging import RichHandler

    handler = RichHandler(console=console, show_path=False, markup=False)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    return handler


async def _serve(
    settings: Settings, sock: socket.socket, mode: AuthMode, *, created: bool = False
) -> int:
    import uvicorn
    from rich.markup import escape

    from crawlscope.api import create_app

    _configure_logging(settings.log_level)
    # Start-up is reported by the banner below (URL, auth, demo); the log at the chosen
    # level resumes after it, unless debugging.
    crawlscope_log = logging.getLogger("crawlscope")
    level = getattr(logging, settings.log_level.upper())
    if level > logging.DEBUG:
        crawlscope_log.setLevel(max(level, logging.WARNING))
    app = create_app(settings, freeze_gc=True)
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level=_uvicorn_level(settings.log_level),
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    server = _server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]), name="uvicorn")
    while not server.started:
        if serving.done():
            await serving
            console.print("[bold red]Error:[/] the server did not start (see the log above)")
            return 1
        await asyncio.sleep(0.02)
    services = app.state.services
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{shown}:{settings.port}"

    def say(text: str, style: str = "") -> None:
        console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)

    console.print(
        f"crawlscope on [bold]{escape(url)}[/] (API docs at {escape(url)}/docs)", soft_wrap=True
    )
    say(f"auth: {'on' if mode.required else 'off'} - {mode.reason}")
    if mode.required and not await services.store.tokens.list_tokens(include_revoked=False):
        # Without one nobody can use this server, the admin included: say how to start.
        say(
            "no token yet: create the first with `crawlscope tokens create --role admin "
            f"--name me --db {services.store.data_path or services.store.display_url}`",
            style="bold yellow",
        )
    # The start-up check above opened it first: it knows whether the database was new.
    new = " (new: there was no database there, an empty one was created)"
    fresh = created or services.store.created
    say(f"database: {services.store.display_url}{new if fresh else ''}")
    if services.demo_url:
        runs = ", ".join(run.run_id for run in services.manager.running) or "none"
        say(
            f"demo site on {services.demo_url}; demo run {runs} started "
            f'(start another: POST {url}/api/runs {{"collection": "demo"}})'
        )
    say("Ctrl-C stops the server", style="dim")
    crawlscope_log.setLevel(level)
    await _watch(services, serving)
    await serving
    if services.unstored_at_stop:
        say(
            f"crawlscope stopped; {services.unstored_at_stop} events could not be stored "
            f"within {settings.shutdown_timeout_s:g}s (see the log above)",
            style="bold red",
        )
        return 1
    console.print("crawlscope stopped")
    return 0


async def _watch(services: Any, serving: asyncio.Task[None]) -> None:
    """Print run starts and ends; on a terminal, keep a live line per active run."""
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    frames = services.frames
    seen: set[str] = set()
    reported: set[str] = set()
    live = (
        Live(console=console, refresh_per_second=2, transient=True) if console.is_terminal else None
    )
    with live if live is not None else contextlib.nullcontext():
        while True:
            done = serving.done()
            lines = []
            for run in frames.live_runs():
                found: RunFrame | None = await frames.frame(run.run_id, with_workers=False)
                if found is None:
                    continue
                frame = found
                if frame.run_id not in seen:
                    seen.add(frame.run_id)
                    console.print(
                        f"run {frame.run_id} started ({frame.collection})",
                        markup=False,
                        highlight=False,
                    )
                if run.ended and frame.run_id not in reported:
                    reported.add(frame.run_id)
                    console.print(_final_line(frame), markup=False, highlight=False, soft_wrap=True)
                elif not run.ended:
                    lines.append(_live_line(frame))
            if live is not None:
                live.update(Group(*lines) if lines else Text("no active runs", "dim"))
            if done:
                return
            await asyncio.wait({serving}, timeout=1.0)


def _progress(frame: RunFrame) -> str:
    """The level being worked on: the first one not done yet, else the last one."""
    levels = [level for level in frame.progress if level.total > 0]
    if not levels:
        return "-"
    level = next((lv for lv in levels if lv.done < lv.total), levels[-1])
    return f"{level.level} {level.done}/{level.total} {level.percent:.0f}%"


def _live_line(frame: RunFrame) -> Text:
    from rich.text import Text

    from crawlscope.terminal import format_duration

    t = frame.totals
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"▶ {frame.run_id} ", style="bold")
    line.append(f"{frame.status:<8}", style="magenta" if frame.status == "paused" else "cyan")
    # Most telling first: a narrow terminal cuts the end of the line, not the beginning.
    line.append(
        f" {_progress(frame)} · ETA {format_duration(frame.eta_s)}"
        f" · {frame.throughput.requests_per_s:.1f} req/s · {t.items_found} items"
        f" · {t.errors} errors"
    )
    return line


def _final_line(frame: RunFrame) -> str:
    from crawlscope.terminal import format_duration

    t = frame.totals
    why = f" ({frame.finish_reason})" if frame.finish_reason else ""
    return (
        f"run {frame.run_id} {frame.status} after {format_duration(frame.duration_s)}: "
        f"{t.requests} requests, {t.items_found} items ({t.new_items} new), {t.errors} errors" + why
    )
