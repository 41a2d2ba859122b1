"""The live terminal view of a run (rich): workers, progress, pace, errors, sites."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from crawlscope.aggregate import RunFrame, WorkerCard

__all__ = ["STATE_STYLE", "format_duration", "render_frame"]

# Icon + colour per worker state: the icon keeps the state readable without colour.
STATE_STYLE: dict[str, tuple[str, str]] = {
    "idle": ("·", "dim"),
    "waiting": ("◷", "magenta"),
    "requesting": ("↓", "cyan"),
    "processing": ("⚙", "green"),
    "rate_limited": ("⏳", "yellow"),
    "backing_off": ("↻", "yellow"),
    "error": ("✗", "red"),
    "paused": ("⏸", "magenta"),
    "complete": ("✓", "bright_black"),
}


def format_duration(seconds: float | None) -> str:
    """``1h02m`` / ``3m05s`` / ``12.3s``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{seconds:.1f}s"


def _shorten(text: str | None, width: int) -> str:
    if not text:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _header(frame: RunFrame) -> Text:
    t = frame.totals
    line = Text()
    line.append(f"run {frame.run_id} ", style="bold")
    line.append(f"[{frame.status}]", style="bold magenta" if frame.status == "paused" else "bold")
    line.append(f"  {frame.collection or ''}  phase {frame.phase or '-'}")
    line.append(f"  elapsed {format_duration(frame.duration_s)}")
    line.append(f"  ETA {format_duration(frame.eta_s)}")
    line.append(
        f"\n{frame.throughput.requests_per_s:.1f} req/s  "
        f"{frame.throughput.items_per_min:.0f} items/min  "
        f"requests {t.requests}  ok {t.successes}  failed {t.failures}  "
        f"retries {t.retries}  items {t.items_found}  new {t.new_items}  "
        f"dupes {t.duplicates}"
    )
    if frame.dataset_size is not None:
        line.append(f"  dataset {frame.dataset_size}")
    if frame.paused_reason:
        line.append(f"\npaused: {frame.paused_reason}", style="magenta")
    if frame.finish_reason:
        style = {"completed": "green", "failed": "red"}.get(frame.status, "yellow")
        line.append(f"\n{frame.status}: {frame.finish_reason}", style=style)
    if frame.error and frame.error not in (frame.finish_reason or ""):
        line.append(f"\nerror: {frame.error}", style="red")
    return line


def _progress(frame: RunFrame) -> Table:
    table = Table.grid(padding=(0, 1))
    for level in frame.progress:
        total = max(level.total, 1)
        table.add_row(
            Text(f"{level.level:>16}"),
            ProgressBar(total=total, completed=min(level.done, total), width=40),
            Text(
                f"{level.done}/{level.total} ({level.percent:.0f}%)  "
                f"ETA {format_duration(level.eta_s)}"
            ),
        )
    return table


def _worker_row(card: WorkerCard) -> list[RenderableType]:
    icon, style = STATE_STYLE.get(card.state, ("?", ""))
    state = f"{card.state} ({card.waiting_for})" if card.waiting_for else card.state
    return [
        str(card.worker_id),
        Text(f"{icon} {state}", style=style),
        Text(_shorten(card.task, 28)),
        Text(_shorten(card.url, 44), style="dim"),
        str(card.attempt or ""),
        str(card.requests),
        f"{card.success_rate * 100:.0f}%" if card.requests else "",
        f"{card.avg_ms:.0f}",
        str(card.items),
        str(card.new_items),
        Text(str(card.errors), style="red" if card.errors else ""),
    ]


def _workers(frame: RunFrame, max_rows: int) -> Table:
    table = Table(box=None, padding=(0, 1), header_style="bold")
    for name in ("#", "state", "task", "url", "try", "req", "ok", "ms", "items", "new", "err"):
        table.add_column(name, no_wrap=True)
    for card in frame.workers[:max_rows]:
        table.add_row(*_worker_row(card))
    hidden = len(frame.workers) - max_rows
    if hidden > 0:
        table.add_row("", Text(f"… {hidden} more workers", style="dim"))
    return table


def _errors_and_sites(frame: RunFrame) -> Table:
    table = Table.grid(padding=(0, 2))
    errors = Text()
    for summary in frame.errors[:6]:
        errors.append(f"{summary.error_type}/{summary.error_stage} x{summary.count}  ", style="red")
        errors.append(_shorten(summary.last_message, 60) + "\n", style="dim")
    sites = Text()
    for site in frame.sites[:4]:
        style = {"open": "red", "half_open": "yellow"}.get(site.breaker, "green")
        sites.append(f"{site.site} ", style="bold")
        sites.append(f"breaker {site.breaker}", style=style)
        sites.append(f"  {site.requests} req  p50 {site.p50_ms:.0f} ms  p95 {site.p95_ms:.0f} ms\n")
    table.add_row(errors or Text("no errors", style="dim"), sites)
    return table


def render_frame(frame: RunFrame, *, max_workers: int = 20) -> Group:
    """Everything about one run, sized for a terminal."""
    return Group(
        _header(frame), _progress(frame), _workers(frame, max_workers), _errors_and_sites(frame)
    )
