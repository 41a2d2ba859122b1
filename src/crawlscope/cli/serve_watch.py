"""The run lines of ``crawlscope serve``: each run's start and end, and on a terminal a
live line per active run (rich ``Live``, about once a second)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from crawlscope.cli.common import console
from crawlscope.cli.serve_output import ServeOutput

if TYPE_CHECKING:
    from rich.text import Text

    from crawlscope.aggregate import RunFrame

__all__ = ["watch_runs"]


async def watch_runs(services: Any, serving: asyncio.Task[None], out: ServeOutput) -> None:
    """Report run starts and ends; on a terminal (text), keep a live line per active run."""
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    frames = services.frames
    seen: set[str] = set()
    reported: set[str] = set()
    live = Live(console=console, refresh_per_second=2, transient=True) if out.live_view else None
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
                    out.say(
                        f"run {frame.run_id} started ({frame.collection})",
                        event="run_started",
                        run_id=frame.run_id,
                        collection=frame.collection,
                    )
                if run.ended and frame.run_id not in reported:
                    reported.add(frame.run_id)
                    t = frame.totals
                    out.say(
                        _final_line(frame),
                        event="run_ended",
                        run_id=frame.run_id,
                        collection=frame.collection,
                        status=frame.status.value,
                        duration_s=frame.duration_s,
                        requests=t.requests,
                        items=t.items_found,
                        new_items=t.new_items,
                        errors=t.errors,
                    )
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
